import type { Vec3 } from "./movement.js";

/** A spawn point of a zone: a place and the heading (radians) people face there. */
export interface SpawnPoint extends Vec3 {
  rotY?: number;
}

/** Nobody is placed closer than this to someone already standing there, metres. */
export const SPAWN_GAP_M = 1.5;
const RING_SLOTS = 8;
const MAX_RINGS = 32;

/**
 * Picks where a newcomer appears: the first of the zone's spawn points, then rings around each
 * point (`gap` apart), that has nobody within `gap`. `occupied` are the positions of users
 * already in the zone instance. Pure and deterministic.
 */
export function pickSpawn(
  points: readonly SpawnPoint[],
  occupied: readonly Vec3[],
  gap = SPAWN_GAP_M,
): Required<SpawnPoint> {
  const list = points.length ? points : [{ x: 0, y: 0, z: 0 }];
  const free = (x: number, z: number) => occupied.every((o) => (o.x - x) ** 2 + (o.z - z) ** 2 >= gap * gap);
  for (let ring = 0; ring <= MAX_RINGS; ring++) {
    const slots = ring === 0 ? 1 : RING_SLOTS * ring;
    for (let slot = 0; slot < slots; slot++) {
      for (const p of list) {
        const angle = (2 * Math.PI * slot) / slots;
        const x = p.x + ring * gap * Math.sin(angle);
        const z = p.z + ring * gap * Math.cos(angle);
        if (free(x, z)) return { x, y: p.y, z, rotY: p.rotY ?? 0 };
      }
    }
  }
  // A crowd bigger than every ring: stack on the first point rather than refuse the join.
  const p = list[0]!;
  return { x: p.x, y: p.y, z: p.z, rotY: p.rotY ?? 0 };
}
