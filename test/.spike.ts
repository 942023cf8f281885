import Janode from "janode";
import VideoRoom from "janode/plugins/videoroom";
import wrtc from "@roamhq/wrtc";
import SimplePeer from "simple-peer";
import { startJanus } from "./helpers/janus.js";
import { Listener } from "./helpers/voiceBot.js";
const { RTCAudioSource } = (wrtc as any).nonstandard;
Janode.Logger.setLevel?.("warn");
const j = await startJanus();
console.log("janus at", j.url);
const conn = await Janode.connect({ address: { url: j.url } });
const session = await conn.create();
const admin = await session.attach(VideoRoom);
const created = await admin.create({ room: 4242, max_publishers: 10, audiocodec: "opus", description: "events" });
console.log("created", created);
// publisher
const src = new RTCAudioSource(); const track = src.createTrack();
let phase = 0; setInterval(() => { const s = new Int16Array(480); for (let i=0;i<480;i++){ s[i]=Math.round(Math.sin(phase)*0.3*32767); phase+=2*Math.PI*440/48000;} src.onData({samples:s,sampleRate:48000,bitsPerSample:16,channelCount:1,numberOfFrames:480}); }, 10);
const pubHandle = await session.attach(VideoRoom);
const pub = new SimplePeer({ initiator: true, trickle: false, wrtc, stream: new wrtc.MediaStream([track]) } as any);
const offer: any = await new Promise((r) => pub.on("signal", (d: any) => d.type === "offer" && r(d)));
const t0 = Date.now();
const joined = await pubHandle.joinConfigurePublisher({ room: 4242, feed: 7, display: "speaker", audio: true, video: false, jsep: offer });
console.log("pub joined", Date.now()-t0, "ms", Object.keys(joined), joined.jsep?.type);
pub.signal(joined.jsep);
await new Promise((r) => pub.on("connect", r)).catch(()=>{});
console.log("pub connect");
// subscriber
const subHandle = await session.attach(VideoRoom);
const sub = await subHandle.joinSubscriber({ room: 4242, feed: 7, audio: true, video: false });
console.log("sub joined", Object.keys(sub), sub.jsep?.type);
const peer = new SimplePeer({ initiator: false, trickle: false, wrtc } as any);
peer.on("signal", async (d: any) => { if (d.type === "answer") { const st = await subHandle.start({ jsep: d }); console.log("started", st); } });
peer.on("stream", (s: MediaStream) => {
  const l = new Listener(s.getAudioTracks()[0]!);
  setTimeout(() => { console.log("rms", l.rms(), "440:", l.magnitude(440), "880:", l.magnitude(880)); process.exit(0); }, 2500);
});
peer.signal(sub.jsep);
setTimeout(() => { console.log("timeout"); process.exit(1); }, 20000);
