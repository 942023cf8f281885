/** A point in the world, metres. */
export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** Outcome of {@link MoveLimiter.claim}: where the user is now, and whether the claim was cut short. */
export interface Move extends Vec3 {
  corrected: boolean;
}

/**
 * Authoritative movement of one user: a claim may move them at most as far as their movement
 * budget, which fills at `maxSpeed` m/s up to `burstS` seconds' worth plus `slackM` (jitter).
 * A farther claim is clamped along the straight line towards it. Pure: the caller passes the time.
 */
export class MoveLimiter {
  private at: Vec3;
  private budget: number;
  private last: number;

  constructor(
    private readonly maxSpeed: number,
    private readonly burstS: number,
    private readonly slackM: number,
    start: Vec3,
    now: number,
  ) {
    this.at = { ...start };
    this.budget = this.capacity;
    this.last = now;
  }

  /** Where the server has the user now. */
  get position(): Vec3 {
    return this.at;
  }

  private get capacity(): number {
    return this.maxSpeed * this.burstS + this.slackM;
  }

  /** A client's position claim at time `now` (ms). */
  claim(to: Vec3, now: number): Move {
    this.budget = Math.min(this.capacity, this.budget + (Math.max(0, now - this.last) / 1000) * this.maxSpeed);
    this.last = now;
    const dx = to.x - this.at.x;
    const dy = to.y - this.at.y;
    const dz = to.z - this.at.z;
    const d = Math.hypot(dx, dy, dz);
    if (d <= this.budget) {
      this.budget -= d;
      this.at = { x: to.x, y: to.y, z: to.z };
      return { ...this.at, corrected: false };
    }
    const f = this.budget / d;
    this.budget = 0;
    this.at = { x: this.at.x + dx * f, y: this.at.y + dy * f, z: this.at.z + dz * f };
    return { ...this.at, corrected: true };
  }

  /** A move the server decided (a spawn): no budget spent. */
  teleport(to: Vec3, now: number): void {
    this.at = { x: to.x, y: to.y, z: to.z };
    this.last = now;
  }
}
