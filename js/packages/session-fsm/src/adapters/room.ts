/**
 * Who owns each per-room stream handler of one `@livekit/rtc-node` `Room`.
 *
 * rtc-node keeps one handler per topic: a second `lk.agent.session` registration throws, a second
 * `lk.chat` one is caught by agents-js and only logged (that session silently gets no chat), and
 * unregistering removes whatever is there. This registry reserves `lk.chat` for the first session
 * that asks (the others start with text input off, so they neither register nor unregister it),
 * and records which session hosts `lk.agent.session`: the core decides when that happens.
 */
import type { Room } from "@livekit/rtc-node";

import { StartFailedError } from "../errors.ts";

export const HOST_TOPIC = "lk.agent.session";
export const CHAT_TOPIC = "lk.chat";
const OUTSIDE = "a handler registered outside this library";

/** rtc-node's handler tables (private fields of `Room`, read here only). */
interface HandlerTables {
  byteStreamHandlers: Map<string, unknown>;
  textStreamHandlers: Map<string, unknown>;
}

const registries = new WeakMap<Room, RoomTopics>();

export class RoomTopics {
  readonly room: Room;
  /** topic -> session key, for the topics sessions of this library own. */
  readonly owners = new Map<string, string>();

  private constructor(room: Room) {
    this.room = room;
  }

  /** The one registry of `room`, shared by every coordinator using it. */
  static of(room: Room): RoomTopics {
    let topics = registries.get(room);
    if (topics === undefined) {
      topics = new RoomTopics(room);
      registries.set(room, topics);
    }
    return topics;
  }

  /** Whether the Room has a handler for `topic` now, whoever registered it. */
  registered(topic: string): boolean {
    const tables = this.room as unknown as HandlerTables;
    return (topic === CHAT_TOPIC ? tables.textStreamHandlers : tables.byteStreamHandlers).has(topic);
  }

  owner(topic: string): string | undefined {
    return this.owners.get(topic);
  }

  /** Reserve `lk.chat` for `key` if it wants text input and the topic is free; else who has it. */
  planChat(key: string, wantsText: boolean): { granted: boolean; owner?: string } {
    if (!wantsText) return { granted: false };
    let owner = this.owners.get(CHAT_TOPIC);
    if (owner === undefined && this.registered(CHAT_TOPIC)) owner = OUTSIDE;
    if (owner === undefined || owner === key) {
      this.owners.set(CHAT_TOPIC, key);
      return { granted: true };
    }
    return { granted: false, owner };
  }

  /** Forget `key`'s `lk.chat`; remove the handler if it is still there. */
  releaseChat(key: string): void {
    if (this.owners.get(CHAT_TOPIC) !== key) return;
    this.owners.delete(CHAT_TOPIC);
    if (this.registered(CHAT_TOPIC)) this.room.unregisterTextStreamHandler(CHAT_TOPIC);
  }

  /** Before hosting: nobody may hold the topic (not even outside this library). */
  hostFree(key: string): void {
    if (this.registered(HOST_TOPIC)) {
      const holder = this.owners.get(HOST_TOPIC) ?? OUTSIDE;
      throw new StartFailedError(`session '${key}' cannot host: '${HOST_TOPIC}' is held by ${holder}.`, {
        session: key,
      });
    }
  }

  /** The session registered `lk.agent.session`: record it. */
  hostAcquired(key: string): void {
    if (!this.registered(HOST_TOPIC)) {
      throw new StartFailedError(
        `session '${key}' should host '${HOST_TOPIC}' but the room has no handler for it after its start.`,
        { session: key },
      );
    }
    this.owners.set(HOST_TOPIC, key);
  }

  /** After the host closed: make sure the topic is gone if `key` owned it. */
  hostReleased(key: string): void {
    if (this.owners.get(HOST_TOPIC) !== key) return;
    this.owners.delete(HOST_TOPIC);
    if (this.registered(HOST_TOPIC)) this.room.unregisterByteStreamHandler(HOST_TOPIC);
  }
}
