import { EventEmitter } from "node:events";
import { expect, test } from "vitest";
import { VoicePeers } from "@earshot/client";

/** A stand-in peer: pure logic test of the recovery policy (real WebRTC is in voice.test.ts). */
class FakePeer extends EventEmitter {
  destroyed = false;
  _pc = { getSenders: () => [] } as unknown as RTCPeerConnection;
  signal(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

test("a failed link is restarted once by the initiator, then dropped and reported to the server", () => {
  const peers: FakePeer[] = [];
  const sent: [string, unknown][] = [];
  const voice = new VoicePeers({
    createPeer: () => {
      const p = new FakePeer();
      peers.push(p);
      return p;
    },
    send: (type, payload) => sent.push([type, payload]),
    iceServers: () => [],
    localStream: () => undefined,
    muted: () => false,
  });
  const closed: string[] = [];
  voice.on("peerClosed", (_id, reason) => closed.push(reason));
  voice.handle("new_peer", { peerId: "bob" });
  peers[0]!.emit("iceStateChange", "failed", "complete");
  expect(peers).toHaveLength(2); // one fresh renegotiation
  expect(peers[0]!.destroyed).toBe(true);
  expect(closed).toEqual([]);
  peers[1]!.emit("iceStateChange", "failed", "complete");
  expect(closed).toEqual(["failed"]);
  expect(sent).toEqual([["voice_link_failed", { peerId: "bob" }]]);
  expect(voice.peerIds).toEqual([]);
});
