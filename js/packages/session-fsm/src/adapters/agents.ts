/**
 * What the coordinator does to `@livekit/agents` 1.9 objects. Everything that touches a field
 * agents-js marks internal (`JobContext._primaryAgentSession`, `AgentSession.sessionHost`) is here.
 *
 * - The primary designation: `start()` makes the first session the job's primary, even with
 *   `record: false`, and nothing clears it. `claim`/`release` set and clear it; a secondary starts
 *   behind `shieldDesignation`, which fills the empty designation for the synchronous part of
 *   `start()` (where agents-js reads it), so the secondary does not take it.
 * - The end-of-job report: agents-js reports the session in the designation when the job ends;
 *   `hookSessionEnd` lets the coordinator show it the last primary, closed, as the Python one does.
 * - The session host: every room-bound session builds a `SessionHost` whose start registers
 *   `lk.agent.session`. `deferHost` intercepts the assignment, so livekit's start leaves the host
 *   unstarted; the coordinator starts it (`RegisterHost`) only for the primary. A secondary's
 *   close then closes a host that never registered, and leaves the owner's handler alone.
 */
import type { JobContext, voice } from "@livekit/agents";

export type AgentSession = voice.AgentSession;

interface Designation {
  _primaryAgentSession?: unknown;
}

/** Stands in the designation while a secondary's `start()` reads it. */
const SHIELD = Object.freeze({ heldBy: "livekit-session-fsm, while a secondary starts" });

export function primaryOf(ctx: JobContext): unknown {
  return (ctx as unknown as Designation)._primaryAgentSession;
}

export function claim(ctx: JobContext, session: AgentSession): void {
  (ctx as unknown as Designation)._primaryAgentSession = session;
}

export function release(ctx: JobContext, session: AgentSession): void {
  const d = ctx as unknown as Designation;
  if (d._primaryAgentSession === session) d._primaryAgentSession = undefined;
}

/** Call `start` (which calls livekit's `start()`) with the designation taken, if it is empty. */
export function shieldDesignation<T>(ctx: JobContext | null, start: () => Promise<T>): Promise<T> {
  const d = ctx as unknown as Designation | null;
  if (d === null || d._primaryAgentSession !== undefined) return start();
  d._primaryAgentSession = SHIELD;
  try {
    return start(); // agents-js reads the designation before its first await
  } finally {
    if (d._primaryAgentSession === SHIELD) d._primaryAgentSession = undefined;
  }
}

interface SessionEnd {
  _onSessionEnd(): Promise<void>;
}

/**
 * Run `before` and `after` around agents-js's end-of-job step (`JobContext._onSessionEnd`, which
 * reports the session it finds in the designation).
 */
export function hookSessionEnd(ctx: JobContext, before: () => Promise<void>, after: () => void): void {
  const job = ctx as unknown as SessionEnd;
  const original = job._onSessionEnd.bind(job);
  job._onSessionEnd = async () => {
    await before();
    try {
      await original();
    } finally {
      after();
    }
  };
}

interface HostLike {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Intercept `session.sessionHost`; returns a function that starts the deferred host. */
export function deferHost(session: AgentSession): () => Promise<boolean> {
  let host: HostLike | undefined;
  let start: (() => Promise<void>) | undefined;
  Object.defineProperty(session, "sessionHost", {
    configurable: true,
    enumerable: true,
    get: () => host,
    set: (value: HostLike | undefined) => {
      host = value;
      start = undefined;
      if (value !== undefined) {
        start = value.start.bind(value);
        value.start = async () => undefined; // livekit's own start of it does nothing
      }
    },
  });
  return async () => {
    if (start === undefined) return false;
    await start();
    return true;
  };
}
