export { EarshotClient, DEFAULT_RECONNECT_POLICY, JOIN_TIMEOUT_MS, MicrophoneError } from "./EarshotClient.js";
export type {
  EarshotClientOptions,
  EarshotClientEvents,
  ChatStatus,
  ConnectionState,
  ReconnectPolicy,
  ReconnectContext,
  MicrophoneFailure,
} from "./EarshotClient.js";
export type { Person, PersonPosition } from "./people.js";
export { VoicePeers } from "./voice/VoicePeers.js";
export type { PeerFactory, PeerLike, PeerOptions, PeerEndReason, VoiceEvents } from "./voice/VoicePeers.js";
export { StageLinks } from "./voice/StageLinks.js";
export type { StageEvents } from "./voice/StageLinks.js";
export { tuneOpus, OPUS_PARAMS } from "./voice/opus.js";
export { TypedEmitter } from "./emitter.js";
export { moderationNotice, LIFTS } from "./moderation.js";
/** Re-exported for UIs: the one way chat length is counted (see `limits.maxChatChars`), and where `client.stages` are. */
export { chatLength, onStageArea } from "@earshot/protocol";
