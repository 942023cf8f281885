import { expect, test } from "vitest";
import { tuneOpus } from "@earshot/client";

const sdp = [
  "v=0",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=0",
  "a=rtpmap:63 red/48000/2",
  "a=fmtp:63 111/111",
  "a=rtpmap:0 PCMU/8000",
  "",
].join("\r\n");

test("Opus gets mono, 24 kbps average, DTX and FEC; other codecs are untouched", () => {
  const out = tuneOpus(sdp);
  expect(out).toContain(
    "a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0;maxaveragebitrate=24000;usedtx=1",
  );
  expect(out).toContain("a=fmtp:63 111/111");
  expect(out.split("\r\n")).toHaveLength(sdp.split("\r\n").length);
});

test("a missing fmtp line for Opus is added after its rtpmap", () => {
  const out = tuneOpus("m=audio 9 RTP/AVP 109\na=rtpmap:109 opus/48000/2\n");
  expect(out).toBe(
    "m=audio 9 RTP/AVP 109\na=rtpmap:109 opus/48000/2\na=fmtp:109 stereo=0;sprop-stereo=0;maxaveragebitrate=24000;usedtx=1;useinbandfec=1\n",
  );
});
