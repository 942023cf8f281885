import { MapSchema, schema, t } from "@colyseus/schema";
import type { SchemaType } from "@colyseus/schema";

/**
 * A user in a zone. Roster fields are replicated to everybody in the room; position fields
 * (`.view()`) only to clients whose StateView holds this user (the tick decides).
 */
export const User = schema(
  {
    id: t.string().default(""),
    name: t.string().default(""),
    avatar: t.string().default(""),
    status: t.string().default("online"),
    micMuted: t.boolean().default(false),
    speaking: t.boolean().default(false),
    inVoice: t.boolean().default(false),
    /** Has the moderator role: a badge in the roster. */
    moderator: t.boolean().default(false),
    x: t.float32().view().default(0),
    y: t.float32().view().default(0),
    z: t.float32().view().default(0),
    rotY: t.float32().view().default(0),
  },
  "User",
);
export type User = SchemaType<typeof User>;

/** Room state: users keyed by sessionId. */
export const ZoneState = schema({ users: t.map(User).default(() => new MapSchema<User>()) }, "ZoneState");
export type ZoneState = SchemaType<typeof ZoneState>;
