import { z } from "zod";

/**
 * Stages: areas of a zone whose speaker the whole zone hears, through the server's media
 * server (Janus) instead of peer-to-peer links. Zone configuration; clients get them in
 * `room_joined.stages`.
 */

const finite = z.number().finite();
const point = z.object({ x: finite, y: finite, z: finite });

/** Where a stage is on the ground: a box or a circle, world coordinates (y is ignored). */
export const stageAreaSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("box"), minX: finite, minZ: finite, maxX: finite, maxZ: finite }),
  z.object({ kind: z.literal("circle"), x: finite, z: finite, radius: finite.positive() }),
]);
export type StageArea = z.infer<typeof stageAreaSchema>;

/**
 * How a stage voice fades with distance: Web Audio's "inverse" model (`refDistance`,
 * `rolloffFactor`, `maxDistance`), flatter than conversation's so the back row still hears.
 */
export const stageAudioSchema = z.object({
  refDistance: finite.positive(),
  rolloffFactor: finite.min(0),
  maxDistance: finite.positive(),
});
export type StageAudio = z.infer<typeof stageAudioSchema>;

/** The default {@link StageAudio}: full volume to 5 m, a fifth of it at 45 m, a tenth at 95 m. */
export const STAGE_AUDIO: StageAudio = { refDistance: 5, rolloffFactor: 0.5, maxDistance: 500 };

/** Role a user needs to speak on a stage whose `speakers` is `"role"`. */
export const SPEAKER_ROLE = "speaker";

export const stageSchema = z.object({
  /** Unique in its zone: lower-case letters, digits, `_` and `-`. */
  id: z.string().regex(/^[a-z0-9_-]{1,32}$/),
  area: stageAreaSchema,
  /** Who may speak: anyone standing on it, or only users with the `speaker` role. */
  speakers: z.enum(["anyone", "role"]),
  /** Play stage voices from these points (the stage's loudspeakers) instead of the speaker's avatar. */
  soundFrom: z.array(point).min(1).max(8).optional(),
  audio: stageAudioSchema,
});
export type Stage = z.infer<typeof stageSchema>;

/** A stage as configured: `speakers` and `audio` may be left out (`"anyone"`, {@link STAGE_AUDIO}). */
export const stageConfigSchema = stageSchema.extend({
  speakers: stageSchema.shape.speakers.optional(),
  audio: stageAudioSchema.partial().optional(),
});
export type StageConfig = z.infer<typeof stageConfigSchema>;

/** A configured stage with its defaults filled in. */
export function stageOf(config: StageConfig): Stage {
  return { ...config, speakers: config.speakers ?? "anyone", audio: { ...STAGE_AUDIO, ...config.audio } };
}

/** True when the point (x, z) stands on the area (edges included). */
export function onStageArea(area: StageArea, x: number, z: number): boolean {
  if (area.kind === "box") return x >= area.minX && x <= area.maxX && z >= area.minZ && z <= area.maxZ;
  return (x - area.x) ** 2 + (z - area.z) ** 2 <= area.radius ** 2;
}

/** The gain of a stage voice `distance` metres away: Web Audio's inverse model, what the plugin's panner applies. */
export function stageGainAt(distance: number, audio: StageAudio = STAGE_AUDIO): number {
  // The inverse model clamps only below refDistance (maxDistance is the linear model's).
  const d = Math.max(distance, audio.refDistance);
  return audio.refDistance / (audio.refDistance + audio.rolloffFactor * (d - audio.refDistance));
}

/**
 * What a stage is doing: `off` (the server has no media server: stages are off), `idle`
 * (nobody speaks), `live` (`speakers` are published), `unavailable` (the media server is
 * unreachable or restarting; `reason` says why; the server reconnects by itself).
 */
export const stageStatusSchema = z.enum(["off", "idle", "live", "unavailable"]);
export type StageStatus = z.infer<typeof stageStatusSchema>;
