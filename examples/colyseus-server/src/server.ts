// A game's own Colyseus server: one room of its own ("lobby") plus Earshot's zones.
import { LocalDriver, LocalPresence, Room, Server } from "@colyseus/core";
import type { Client } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { TRANSPORT_MAX_PAYLOAD_BYTES, attachEarshot, loadConfig } from "@earshot/server";

/** The game's room: answers `ping` with `pong`. */
class LobbyRoom extends Room {
  override onCreate(): void {
    this.onMessage("ping", (client: Client, n: number) => client.send("pong", n + 1));
  }
}

// WebRTC offers are larger than Colyseus' 4 KB default message size.
const transport = new WebSocketTransport({ maxPayload: TRANSPORT_MAX_PAYLOAD_BYTES });
const server = new Server({ transport, presence: new LocalPresence(), driver: new LocalDriver() });
server.define("lobby", LobbyRoom);

// Earshot reads its settings from the environment (PORT, EARSHOT_DB, ADMIN_PASSWORD, ...).
const config = loadConfig();
const earshot = await attachEarshot(server, config);
await server.listen(config.port, config.host);
earshot.guard(transport.server!);
console.log(`Game server with Earshot listening on port ${config.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    void server
      .gracefullyShutdown(false)
      .then(() => earshot.close())
      .then(() => process.exit(0));
  });
