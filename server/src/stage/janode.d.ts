// The slice of janode 1.8 (no types of its own) that Earshot's stage gateway uses.
declare module "janode" {
  import type { EventEmitter } from "node:events";
  export interface Jsep {
    type: string;
    sdp: string;
  }
  export interface JanodeHandle extends EventEmitter {
    id: number;
    detach(): Promise<void>;
    trickle(candidate: object): Promise<void>;
  }
  export interface JanodeSession extends EventEmitter {
    attach<H extends JanodeHandle>(plugin: { Handle: new (...args: never[]) => H }): Promise<H>;
    destroy(): Promise<void>;
  }
  export interface JanodeConnection extends EventEmitter {
    create(kaIntervalS?: number): Promise<JanodeSession>;
    close(): Promise<void>;
  }
  const Janode: {
    connect(config: { address: { url: string; apisecret?: string } }): Promise<JanodeConnection>;
    Logger: { setLevel(level: string): void };
    EVENT: Record<string, string>;
  };
  export default Janode;
}

declare module "janode/plugins/videoroom" {
  import type { JanodeHandle, Jsep } from "janode";
  export interface VideoRoomHandle extends JanodeHandle {
    create(params: {
      room?: number;
      description?: string;
      max_publishers?: number;
      audiocodec?: string;
      videocodec?: string;
      bitrate?: number;
    }): Promise<{ room: number }>;
    destroy(params: { room: number }): Promise<unknown>;
    joinConfigurePublisher(params: {
      room: number;
      display?: string;
      audio?: boolean;
      video?: boolean;
      bitrate?: number;
      jsep: Jsep;
    }): Promise<{ feed: number; jsep?: Jsep }>;
    joinSubscriber(params: { room: number; feed: number; audio?: boolean; video?: boolean }): Promise<{ jsep?: Jsep }>;
    start(params: { jsep: Jsep }): Promise<unknown>;
  }
  const VideoRoom: { id: string; Handle: new (...args: never[]) => VideoRoomHandle; EVENT: Record<string, string> };
  export default VideoRoom;
}
