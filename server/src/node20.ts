import { WebSocket } from "ws";

// Colyseus reads a global WebSocket when a client reconnects; Node 20 has none (Node 22 does).
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
