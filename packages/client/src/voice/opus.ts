import { OPUS_MAX_AVERAGE_BITRATE } from "@earshot/protocol";

/** Opus parameters of the packet-flow spec (docs/PROTOCOL.md, "WebRTC configuration"): mono voice, 24 kbps average, DTX and in-band FEC. */
export const OPUS_PARAMS: Record<string, string | number> = {
  stereo: 0,
  "sprop-stereo": 0,
  maxaveragebitrate: OPUS_MAX_AVERAGE_BITRATE,
  usedtx: 1,
  useinbandfec: 1,
};

/**
 * Rewrites the `a=fmtp` line of every Opus payload type in an SDP so the encoder follows
 * {@link OPUS_PARAMS}; other codecs and lines are left untouched. Adds the line when missing.
 */
export function tuneOpus(sdp: string, params: Record<string, string | number> = OPUS_PARAMS): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(eol);
  const opus = new Set<string>();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) opus\/48000/i.exec(line);
    if (m) opus.add(m[1]!);
  }
  const withParams = (existing: string) => {
    const map = new Map<string, string>();
    for (const kv of existing.split(";").filter(Boolean)) {
      const [k, v = ""] = kv.split("=");
      map.set(k!.trim(), v.trim());
    }
    for (const [k, v] of Object.entries(params)) map.set(k, String(v));
    return [...map].map(([k, v]) => `${k}=${v}`).join(";");
  };
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (m && opus.has(m[1]!)) {
      seen.add(m[1]!);
      out.push(`a=fmtp:${m[1]} ${withParams(m[2]!)}`);
    } else out.push(line);
  }
  for (const pt of opus) {
    if (seen.has(pt)) continue;
    const at = out.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `));
    out.splice(at + 1, 0, `a=fmtp:${pt} ${withParams("")}`);
  }
  return out.join(eol);
}
