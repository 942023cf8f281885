export { Earshot, createEarshot } from "./Earshot.js";
export type { EarshotOptions, PeerInfo, TeleportReason } from "./Earshot.js";
export { VoiceBehavior } from "./VoiceBehavior.js";
export { SpeakingDetector, DEFAULT_SPEAKING } from "./speaking.js";
export type { SpeakingOptions } from "./speaking.js";
