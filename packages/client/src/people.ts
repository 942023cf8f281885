import { Callbacks } from "@colyseus/sdk";
import type { Room } from "@colyseus/sdk";
import type { MapSchema, Schema } from "@colyseus/schema";
import type { PresenceStatus } from "@earshot/protocol";

/** Where someone stands, in metres, and which way they face (radians about +y). */
export interface PersonPosition {
  x: number;
  y: number;
  z: number;
  rotY: number;
}

/** Someone in your zone instance, as the server's room state says (yourself included). */
export interface Person {
  /** Session id: the peer id of their voice link, the key of `client.people`. */
  readonly sessionId: string;
  /** User id (a token's subject, or a server-made `guest_…`). */
  id: string;
  /** Display name as the server shows it (cleaned, maybe "Alice 2"). */
  name: string;
  avatar: string;
  status: PresenceStatus;
  micMuted: boolean;
  /** What their client reports; `onPeerSpeakingObservable` in the Babylon plugin measures the audio. */
  speaking: boolean;
  inVoice: boolean;
  /** Has the moderator role (show a badge). */
  moderator: boolean;
  /** Only while they are in your view (within the zone's `viewRadius`, nearest `maxVisible`). */
  position?: PersonPosition;
}

/** The room state's user, as the SDK decodes it (the fields of `User` in @earshot/server). */
interface UserFields {
  id: string;
  name: string;
  avatar: string;
  status: string;
  micMuted: boolean;
  speaking: boolean;
  inVoice: boolean;
  moderator: boolean;
  x?: number;
  y?: number;
  z?: number;
  rotY?: number;
}

type UserState = Schema & UserFields;
type ZoneStateShape = Schema & { users: MapSchema<UserState> };

/** What {@link Roster} reports. */
export interface RosterEvents {
  joined(person: Person): void;
  moved(person: Person): void;
  changed(person: Person): void;
  left(person: Person): void;
}

const ROSTER_FIELDS = ["id", "name", "avatar", "status", "micMuted", "speaking", "inVoice", "moderator"] as const;

/**
 * The people of a room, kept from its state with the SDK's callbacks. Work per state patch is
 * proportional to the users that changed in it: each reports `moved` and `changed` at most
 * once per patch.
 */
export class Roster {
  readonly people = new Map<string, Person>();
  private readonly dirty = new Set<string>();
  private readonly states = new Map<string, UserState>();
  private readonly stops: (() => void)[] = [];
  /** Each user's change callback, removed with the user (a long session sees many come and go). */
  private readonly userStops = new Map<string, () => void>();

  constructor(private readonly events: RosterEvents) {}

  /** Follows `room` (after leaving the previous one: everyone there has `left`). */
  attach(room: Room): void {
    this.detach();
    const cb = Callbacks.get(room as Room<unknown, ZoneStateShape>);
    this.stops.push(
      cb.onAdd("users", (user, sessionId) => {
        this.states.set(sessionId, user);
        const person = { sessionId } as Person;
        this.copy(user, person);
        this.people.set(sessionId, person);
        this.events.joined(person);
        this.userStops.set(
          sessionId,
          cb.onChange(user, () => this.dirty.add(sessionId)),
        );
      }),
      cb.onRemove("users", (_user, sessionId) => {
        const person = this.people.get(sessionId);
        this.userStops.get(sessionId)?.();
        this.userStops.delete(sessionId);
        this.people.delete(sessionId);
        this.states.delete(sessionId);
        this.dirty.delete(sessionId);
        if (person) this.events.left(person);
      }),
    );
    const onPatch = () => this.flush();
    room.onStateChange(onPatch);
    this.stops.push(() => room.onStateChange.remove(onPatch));
  }

  /** Stops following the room; everyone in it has `left`. */
  detach(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const stop of this.userStops.values()) stop();
    this.userStops.clear();
    const gone = [...this.people.values()];
    this.people.clear();
    this.states.clear();
    this.dirty.clear();
    for (const person of gone) this.events.left(person);
  }

  private flush(): void {
    for (const sessionId of this.dirty) {
      const person = this.people.get(sessionId);
      const user = this.states.get(sessionId);
      if (!person || !user) continue;
      const before = person.position;
      const changed = this.copy(user, person);
      const after = person.position;
      if (before?.x !== after?.x || before?.y !== after?.y || before?.z !== after?.z || before?.rotY !== after?.rotY)
        this.events.moved(person);
      if (changed) this.events.changed(person);
    }
    this.dirty.clear();
  }

  /** Copies the state into `person`; true when a roster field changed. */
  private copy(user: UserState, person: Person): boolean {
    let changed = false;
    const target = person as unknown as Record<string, unknown>;
    for (const field of ROSTER_FIELDS) {
      if (target[field] !== user[field]) changed = true;
      target[field] = user[field];
    }
    person.position =
      user.x === undefined ? undefined : { x: user.x, y: user.y ?? 0, z: user.z ?? 0, rotY: user.rotY ?? 0 };
    return changed;
  }
}
