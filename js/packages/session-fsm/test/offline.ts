/**
 * Real agents-js objects, offline: an rtc-node `Room` that never connects, a `JobContext` built
 * around a fake job (its `connect()` is a no-op and it sets up no cloud recording), and sessions
 * with no model providers (they listen to nobody, which is all these tests need).
 */
import { JobContext, JobProcess, initializeLogger, runWithJobContextAsync, voice } from "@livekit/agents";
import { Room } from "@livekit/rtc-node";

import { CHAT_TOPIC, HOST_TOPIC } from "../src/index.ts";

initializeLogger({ pretty: false, level: "error" });

let jobs = 0;

export function offlineRoom(): Room {
  const room = new Room();
  room.setMaxListeners(100);
  return room;
}

export function offlineJob(room: Room, { enableRecording = false } = {}): JobContext {
  jobs += 1;
  const info = {
    job: { id: `offline-job-${process.pid}-${jobs}`, room: { name: "offline" }, enableRecording },
    url: "",
    token: "",
    workerId: "offline-worker",
    acceptArguments: {},
    fakeJob: true,
  };
  const noop = (): void => undefined;
  return new JobContext(new JobProcess(), info as never, room, noop, noop, undefined as never);
}

/** Run `fn` as a job entrypoint runs (agents-js finds the job through async context). */
export function inJob<T>(ctx: JobContext, fn: () => Promise<T>): Promise<T> {
  return runWithJobContextAsync(ctx, fn);
}

/**
 * What the job runner does first at the end of a job (agents-js's `finalizeSession`): close the
 * session in the designation, then the end-of-job step that reports it. Returns the sessions
 * that step made a report for.
 */
export async function runSessionEnd(ctx: JobContext): Promise<unknown[]> {
  const reported: unknown[] = [];
  const job = ctx as unknown as { makeSessionReport(s?: unknown): unknown; _onSessionEnd(): Promise<void> };
  const makeReport = job.makeSessionReport.bind(job);
  job.makeSessionReport = (s?: unknown) => {
    reported.push(s ?? jobPrimary(ctx));
    return makeReport(s);
  };
  const primary = jobPrimary(ctx) as { close(): Promise<void> } | undefined;
  await primary?.close();
  await runWithJobContextAsync(ctx, () => job._onSessionEnd());
  return reported;
}

/** What the job runner does at the end of a job: run every shutdown callback. */
export async function runJobShutdown(ctx: JobContext): Promise<void> {
  await Promise.allSettled(ctx.shutdownCallbacks.map((callback) => Promise.resolve().then(() => callback())));
}

export function session(): voice.AgentSession {
  return new voice.AgentSession({});
}

export function agent(): voice.Agent {
  return new voice.Agent({ instructions: "Listen." });
}

/** The designation agents-js keeps on the job (an internal field, read here only). */
export function jobPrimary(ctx: JobContext): unknown {
  return (ctx as unknown as { _primaryAgentSession?: unknown })._primaryAgentSession;
}

/** The Room's handlers, as rtc-node keeps them (one per topic). */
export function hostHandler(room: Room): unknown {
  return (room as unknown as { byteStreamHandlers: Map<string, unknown> }).byteStreamHandlers.get(HOST_TOPIC);
}

export function chatHandler(room: Room): unknown {
  return (room as unknown as { textStreamHandlers: Map<string, unknown> }).textStreamHandlers.get(CHAT_TOPIC);
}

export const TOPIC_TAKEN = /byte stream handler for topic "lk\.agent\.session" has already been set/;
export const PRIMARY_TAKEN = /Only one `AgentSession` can be the primary at a time/;
