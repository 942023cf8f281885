// Environment of the demo's server (`npm start`, `npm run dev`); anything already set wins.
export function demoServerEnv(env = process.env) {
  return {
    // The demo world has two zones and no other.
    ZONES: "events,movies",
    // Deep links (`/?at=3,0`) choose where a person appears: the demo lets clients spawn.
    // A production world should leave this off so the server places newcomers.
    ALLOW_CLIENT_SPAWN: "true",
    SPAWN_POINTS: JSON.stringify({
      events: [{ x: -12, y: 1.7, z: 0, rotY: Math.PI / 2 }],
      movies: [{ x: 12, y: 1.7, z: 0, rotY: -Math.PI / 2 }],
    }),
    // The Events stage (demo/src/world.ts): whoever stands on it is heard by the whole zone, through
    // Janus when JANUS_URL is set (README, "Stages"); without it, by the people near it.
    STAGES: JSON.stringify({
      events: [{ id: "main", area: { kind: "box", minX: -32, minZ: 16, maxX: -16, maxZ: 24 } }],
    }),
    // glibc keeps freed 256 KB room buffers otherwise; with a fixed mmap threshold the memory
    // of closed rooms goes back to the system (README, "Security").
    MALLOC_MMAP_THRESHOLD_: "65536",
    ...env,
  };
}
