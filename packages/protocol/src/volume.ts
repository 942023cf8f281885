import { HEAR_RADIUS_M, REF_DISTANCE_M } from "./constants.js";

/** Parameters of the distance -> volume curve. Both the server and the plugin's panner use them. */
export interface VolumeCurve {
  /** Full volume up to this distance, metres. Default {@link REF_DISTANCE_M}. */
  refDistance?: number;
  /** Silence from this distance on, metres. Default {@link HEAR_RADIUS_M}. */
  hearRadius?: number;
}

/**
 * Volume (0..1) at which a voice `distance` metres away plays: linear from 1 at `refDistance`
 * to 0 at `hearRadius`. It equals Web Audio's "linear" distance model with
 * `refDistance`, `maxDistance = hearRadius` and `rolloffFactor = 1`, so the volume the server
 * reports is the gain the browser applies.
 */
export function volumeAt(distance: number, curve: VolumeCurve = {}): number {
  const ref = curve.refDistance ?? REF_DISTANCE_M;
  const max = curve.hearRadius ?? HEAR_RADIUS_M;
  if (!(distance > ref)) return 1;
  if (distance >= max) return 0;
  return 1 - (distance - ref) / (max - ref);
}

/** Panner settings equivalent to {@link volumeAt} for a Web Audio / Babylon spatial sound. */
export function pannerFor(curve: VolumeCurve = {}) {
  return {
    distanceModel: "linear" as const,
    refDistance: curve.refDistance ?? REF_DISTANCE_M,
    maxDistance: curve.hearRadius ?? HEAR_RADIUS_M,
    rolloffFactor: 1,
  };
}
