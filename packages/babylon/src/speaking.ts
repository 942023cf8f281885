/** Options of {@link SpeakingDetector}; every field optional. */
export interface SpeakingOptions {
  /** RMS level (0..1) above which someone is speaking. Default 0.02. */
  threshold?: number;
  /** Speaking stays on this long after the level drops, so words don't flicker, ms. Default 300. */
  hangoverMs?: number;
}

export const DEFAULT_SPEAKING: Required<SpeakingOptions> = { threshold: 0.02, hangoverMs: 300 };

/** Turns a stream of levels into a speaking flag with hang-over. Pure: the caller passes time. */
export class SpeakingDetector {
  speaking = false;
  private lastLoudMs = -Infinity;
  private readonly o: Required<SpeakingOptions>;

  constructor(options: SpeakingOptions = {}) {
    this.o = { ...DEFAULT_SPEAKING, ...options };
  }

  /** Feeds one level; returns true when the speaking flag changed. */
  update(level: number, nowMs: number): boolean {
    if (level >= this.o.threshold) this.lastLoudMs = nowMs;
    const next = nowMs - this.lastLoudMs <= this.o.hangoverMs;
    if (next === this.speaking) return false;
    this.speaking = next;
    return true;
  }
}

/** Root mean square of an analyser's current time-domain window, 0..1. */
export function rmsOf(analyser: AnalyserNode, buffer: Float32Array<ArrayBuffer>): number {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (let i = 0; i < buffer.length; i++) sum += buffer[i]! * buffer[i]!;
  return Math.sqrt(sum / buffer.length);
}
