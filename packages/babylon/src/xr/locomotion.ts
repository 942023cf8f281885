/** Thumbstick locomotion maths, pure: sticks and heading in, a step and a turn out. */

/** Heading (radians, 0 = +z, positive towards +x) of a direction; its height is ignored. */
export function yawOf(direction: { x: number; z: number }): number {
  return Math.atan2(direction.x, direction.z);
}

/** Settings of {@link SnapTurn}. */
export interface SnapTurnOptions {
  /** Turn per flick, radians. Default π/4 (45°). */
  angleRad?: number;
  /** Stick deflection that triggers a turn. Default 0.7. */
  threshold?: number;
  /** Deflection below which the stick counts as back in the middle. Default 0.3. */
  release?: number;
}

/** One turn per flick of the stick; the stick must come back before the next. */
export class SnapTurn {
  private armed = true;
  private readonly angle: number;
  private readonly threshold: number;
  private readonly release: number;

  constructor(options: SnapTurnOptions = {}) {
    this.angle = options.angleRad ?? Math.PI / 4;
    this.threshold = options.threshold ?? 0.7;
    this.release = options.release ?? 0.3;
  }

  /** The yaw change (radians, positive turns right) for stick x in -1..1. */
  update(x: number): number {
    if (Math.abs(x) < this.release) this.armed = true;
    if (!this.armed || Math.abs(x) < this.threshold) return 0;
    this.armed = false;
    return Math.sign(x) * this.angle;
  }
}

/**
 * The horizontal step of smooth movement: stick (x right, y forward-negative as WebXR reports
 * it) turned into world metres along the heading `yaw` (radians, 0 = +z). A dead zone keeps a
 * resting stick still.
 */
export function stickStep(
  x: number,
  y: number,
  yaw: number,
  speedMS: number,
  dtS: number,
  deadZone = 0.15,
): { x: number; z: number } {
  const mag = Math.hypot(x, y);
  if (mag < deadZone) return { x: 0, z: 0 };
  const scale = (Math.min(1, mag) * speedMS * dtS) / mag;
  const forward = -y * scale;
  const right = x * scale;
  return {
    x: Math.sin(yaw) * forward + Math.cos(yaw) * right,
    z: Math.cos(yaw) * forward - Math.sin(yaw) * right,
  };
}
