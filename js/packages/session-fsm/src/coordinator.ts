/**
 * The runtime for agents-js: feeds events to the core (`Scope`), runs the effects it returns
 * through the adapters, and compensates when a start fails. It decides nothing itself.
 *
 * One coordinator per scope: `SessionCoordinator.forJob(ctx)` (the job's primary designation,
 * closing every session on job shutdown) or `SessionCoordinator.forRoom(room)` (sessions on a Room
 * without a job). Feeding the core is synchronous, so each event is applied atomically (JavaScript
 * runs one callback at a time); the effects of one start or close run one after another, other
 * sessions' interleave with them, and the core orders what must be ordered across sessions (a
 * start that wants the primary waits for the holder's release).
 */
import { statSync } from "node:fs";

import { AgentSessionEventTypes, type JobContext, type voice } from "@livekit/agents";
import { RoomEvent, type RemoteParticipant, type Room } from "@livekit/rtc-node";

import * as agents from "./adapters/agents.ts";
import { Recordings } from "./adapters/recordings.ts";
import { RoomTopics } from "./adapters/room.ts";
import type { Effect } from "./effects.ts";
import { ClaimTimeout, EffectFailed, InvalidInput, SessionLifecycleError, StartFailedError } from "./errors.ts";
import type { Event } from "./events.ts";
import { isExporter, runExporters, type ExportOutcome, type Exporter } from "./exporters.ts";
import { Scope } from "./machine.ts";
import type { OwnershipState, Role, SessionState } from "./table.ts";

type AgentSession = voice.AgentSession;
type Agent = voice.Agent;
type RoomInputOptions = NonNullable<Parameters<AgentSession["start"]>[0]["inputOptions"]>;
type RoomOutputOptions = NonNullable<Parameters<AgentSession["start"]>[0]["outputOptions"]>;

export interface StartOptions {
  /** `auto` (default): primary when the scope is free, secondary beside a primary. */
  role?: Role;
  /** Record (primary only); undefined: the job's `enableRecording`. */
  record?: boolean;
  /** Host `lk.agent.session` (primary only); undefined: when primary. */
  host?: boolean;
  /** A name for the session in errors and in the core (default `session-<n>`). */
  name?: string;
  inputOptions?: RoomInputOptions;
  outputOptions?: RoomOutputOptions;
  /** How long a start waits for the releasing primary (default: the coordinator's). */
  claimTimeoutMs?: number;
  /** Ship the finished recording somewhere (primary with recording only; see `exporters.ts`). */
  exporters?: readonly Exporter[];
}

export interface CoordinatorOptions {
  claimTimeoutMs?: number;
  closeTimeoutMs?: number;
  /** Each exporter's time limit (default 30 s). */
  exportTimeoutMs?: number;
}

const FOREIGN = "an AgentSession started outside the coordinator";

interface Grant {
  resolve(effects: Effect[] | null): void;
}

/** What the coordinator keeps per session. */
interface Managed {
  readonly key: string;
  readonly session: AgentSession;
  readonly startHost: () => Promise<boolean>;
  agent?: Agent;
  options: StartOptions;
  /** The start waiting for the scope: resolved with the grant's plan, or null if it ended. */
  grant?: Grant | undefined;
  /** Resolved when the session reaches `closed`. */
  closed: Promise<void>;
  markClosed: () => void;
  /** True while the coordinator itself winds the session down. */
  windingDown: boolean;
  /** Where the session's current (or last) recording goes, and when it began and ended. */
  recordingPath?: string | undefined;
  recordingStartedAtMs: number;
  recordingEndedAtMs: number;
  recordings: number;
  /** The exporters' outcomes for the last exported recording. */
  exports: ExportOutcome[];
  /** Closes the session in the core when agents-js closes it by itself. */
  readonly onClose: () => void;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const byScope = new WeakMap<object, SessionCoordinator>();

export class SessionCoordinator {
  readonly job: JobContext | null;
  readonly room: Room;
  readonly scope: Scope;
  readonly claimTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly exportTimeoutMs: number;
  readonly #managed = new Map<string, Managed>();
  readonly #keys = new WeakMap<AgentSession, string>();
  #names = 0;
  readonly #recordings: Recordings | null;
  /** The session shown to agents-js's end-of-job report as the job's primary, until it ran. */
  #shownToReport: AgentSession | null = null;

  private constructor(job: JobContext | null, room: Room, options: CoordinatorOptions) {
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && !(typeof value === "number" && value > 0)) {
        throw new InvalidInput(`${name} must be a positive number of milliseconds, got ${String(value)}`);
      }
    }
    this.job = job;
    this.room = room;
    this.claimTimeoutMs = options.claimTimeoutMs ?? 10_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.exportTimeoutMs = options.exportTimeoutMs ?? 30_000;
    this.scope = new Scope({ recordDefault: job !== null && Boolean(job.job.enableRecording) });
    this.#recordings = job === null ? null : new Recordings(job);
    if (job !== null) {
      job.addShutdownCallback(() => this.shutdown());
      agents.hookSessionEnd(job, () => this.#beforeSessionEnd(), () => this.#afterSessionEnd());
    }
  }

  /** Job end, before agents-js's report: close everything, and show it the primary the core names. */
  async #beforeSessionEnd(): Promise<void> {
    await this.shutdown();
    const key = this.scope.reportHolder();
    const session = key === null ? undefined : this.#managed.get(key)?.session;
    if (this.job !== null && agents.primaryOf(this.job) === undefined && session !== undefined) {
      this.#shownToReport = session;
      agents.claim(this.job, session);
    }
  }

  #afterSessionEnd(): void {
    const shown = this.#shownToReport;
    this.#shownToReport = null;
    if (this.job !== null && shown !== null) agents.release(this.job, shown);
  }

  /** The coordinator of this job (the same one every time), closing its sessions at shutdown. */
  static forJob(ctx: JobContext, options: CoordinatorOptions = {}): SessionCoordinator {
    if (ctx === null || typeof ctx !== "object" || !("job" in ctx) || !("room" in ctx)) {
      throw new InvalidInput("forJob takes the entrypoint's JobContext");
    }
    let found = byScope.get(ctx);
    if (found === undefined) {
      found = new SessionCoordinator(ctx, ctx.room, options);
      byScope.set(ctx, found);
    }
    return found;
  }

  /** The coordinator of this Room, for sessions started without a job. */
  static forRoom(room: Room, options: CoordinatorOptions = {}): SessionCoordinator {
    if (room === null || typeof room !== "object" || typeof room.registerByteStreamHandler !== "function") {
      throw new InvalidInput("forRoom takes an @livekit/rtc-node Room");
    }
    let found = byScope.get(room);
    if (found === undefined) {
      found = new SessionCoordinator(null, room, options);
      byScope.set(room, found);
    }
    return found;
  }

  // ---------------------------------------------------------------- queries

  state(session: AgentSession): SessionState {
    return this.scope.state(this.#key(session));
  }

  name(session: AgentSession): string {
    return this.#key(session);
  }

  get ownership(): OwnershipState {
    return this.scope.ownership;
  }

  /** The session holding the scope, if this coordinator manages it. */
  get primary(): AgentSession | null {
    const holder = this.scope.foreign ? null : this.scope.holder;
    return holder === null ? null : (this.#managed.get(holder)?.session ?? null);
  }

  manages(session: AgentSession): boolean {
    return this.#keys.has(session);
  }

  /** What each exporter did with the session's last recording. */
  exports(session: AgentSession): readonly ExportOutcome[] {
    return this.#get(session).exports;
  }

  /** The file the session recorded (or is recording) to, if it recorded. */
  recordingPath(session: AgentSession): string | undefined {
    return this.#get(session).recordingPath;
  }

  // ---------------------------------------------------------------- operations

  /** Start `session` with `agent`; resolves with the state it lands in. */
  async start(session: AgentSession, agent: Agent, options: StartOptions = {}): Promise<SessionState> {
    const key = this.#keyFor(session, options.name);
    const role = options.role ?? "auto";
    if (!["auto", "primary", "secondary"].includes(role)) {
      throw new InvalidInput(`session '${key}': role must be auto, primary or secondary, got ${String(role)}`, {
        session: key,
      });
    }
    for (const flag of ["record", "host"] as const) {
      const value = options[flag];
      if (value !== undefined && typeof value !== "boolean") {
        throw new InvalidInput(`session '${key}': ${flag} must be true, false or undefined`, { session: key });
      }
    }
    if (options.record === true && this.job === null) {
      throw new InvalidInput(
        `session '${key}': record needs a JobContext (agents-js records into the job's session directory); use SessionCoordinator.forJob(ctx).`,
        { session: key },
      );
    }
    const exporters = options.exporters ?? [];
    if (!Array.isArray(exporters) || !exporters.every(isExporter)) {
      throw new InvalidInput(`session '${key}': exporters must be an array of functions or objects with export()`, {
        session: key,
      });
    }
    this.#syncForeign();
    // a refused start throws here, before the coordinator has touched the session
    const effects = this.#feed({
      name: "start",
      session: key,
      role,
      record: options.record ?? null,
      host: options.host ?? null,
      exporter: exporters.length > 0,
    });
    const m = this.#managed.get(key) ?? this.#admit(session, key);
    if (effects.length === 0) return this.scope.state(key);
    m.agent = agent;
    m.options = options;
    this.#resetClosed(m);
    return this.#runStart(m, effects, options.claimTimeoutMs ?? this.claimTimeoutMs);
  }


  /** Let the session finish what it is saying, then close (agents-js's drain closes). */
  async drain(session: AgentSession): Promise<SessionState> {
    const m = this.#get(session);
    const effects = this.#feed({ name: "drain", session: m.key });
    try {
      for (const effect of effects) await this.#run(m, effect);
    } catch (error) {
      throw new EffectFailed(
        `draining session '${m.key}' failed (${String(error)}); it is ${this.scope.state(m.key)}: close it to end it.`,
        { session: m.key, cause: error },
      );
    }
    return this.scope.state(m.key);
  }

  /** Close the session (waits for a start or close already under way). */
  async close(session: AgentSession): Promise<SessionState> {
    const m = this.#get(session);
    if (this.scope.state(m.key) === "created") return "created";
    const effects = this.#feed({ name: "close", session: m.key });
    if (effects.length > 0) await this.#windDown(m, effects);
    else if (this.scope.state(m.key) !== "closed") await m.closed;
    return this.scope.state(m.key);
  }

  /** Make a running secondary the primary (waits while the holder is releasing). */
  async promote(session: AgentSession, options: { claimTimeoutMs?: number } = {}): Promise<SessionState> {
    const m = this.#get(session);
    this.#syncForeign();
    const effects = this.#feed({ name: "promote", session: m.key });
    if (effects.length === 0) return this.scope.state(m.key);
    return this.#runStart(m, effects, options.claimTimeoutMs ?? this.claimTimeoutMs);
  }

  /**
   * One secondary session per remote participant (the multi-user transcriber): `factory` makes
   * the session and agent for a participant who joins; a participant who leaves has theirs
   * closed and forgotten. Returns a handle whose `close()` stops it and closes those sessions.
   */
  perParticipant(
    factory: (participant: RemoteParticipant) => { session: AgentSession; agent: Agent; options?: StartOptions },
  ): ParticipantFanout {
    return new ParticipantFanout(this, factory);
  }

  /** Close every session (the job's shutdown callback calls this). */
  async shutdown(): Promise<void> {
    const live = [...this.#managed.values()].filter((m) => !this.scope.atRest(m.key));
    await Promise.allSettled(live.map((m) => withTimeout(this.close(m.session), this.closeTimeoutMs, m.key)));
  }

  /** Drop a closed session from the scope; the coordinator keeps no reference to it. */
  forget(session: AgentSession): void {
    const m = this.#get(session);
    this.scope.forget(m.key);
    session.off(AgentSessionEventTypes.Close, m.onClose);
    this.#managed.delete(m.key);
    this.#keys.delete(session);
  }

  // ---------------------------------------------------------------- feeding the core

  /**
   * Feed one event; return the effects for its session, handing the waiter whose wait the core
   * ended its granted plan (or null: closed, or its promotion went back to secondary).
   */
  #feed(event: Event): Effect[] {
    const outcome = this.scope.step(event);
    if (outcome.waitOver !== null) {
      const grant = this.#managed.get(outcome.waitOver)?.grant;
      grant?.resolve(outcome.grant.length > 0 ? outcome.grant : null);
    }
    return outcome.effects;
  }

  async #runStart(m: Managed, first: Effect[], claimTimeoutMs: number): Promise<SessionState> {
    let effects: Effect[] | null = first;
    if (first[0]?.type === "WaitForClaim") {
      effects = await this.#waitForGrant(m, claimTimeoutMs);
      if (effects === null) return this.scope.state(m.key);
    }
    let completed = 0;
    try {
      for (const effect of effects) {
        await this.#run(m, effect);
        completed += 1;
      }
    } catch (error) {
      const undo = this.#feed({ name: "start_failed", session: m.key, completed });
      await this.#runAll(m, undo);
      if (this.scope.awaitsClosed(m.key)) this.#feed({ name: "closed", session: m.key });
      if (this.scope.atRest(m.key)) {
        RoomTopics.of(this.room).releaseChat(m.key);
        m.markClosed();
      }
      if (error instanceof SessionLifecycleError) throw error;
      throw new StartFailedError(
        `starting session '${m.key}' failed (${String(error)}); what it had taken was given back.`,
        { session: m.key, cause: error },
      );
    }
    const after = this.#feed({ name: "started", session: m.key });
    if (after.length > 0) await this.#windDown(m, after); // a close arrived while starting
    return this.scope.state(m.key);
  }

  #waitForGrant(m: Managed, timeoutMs: number): Promise<Effect[] | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        m.grant = undefined;
        this.#feed({ name: "start_failed", session: m.key, completed: 0 });
        if (this.scope.atRest(m.key)) m.markClosed();
        reject(
          new ClaimTimeout(
            `session '${m.key}' waited ${timeoutMs} ms for the releasing primary to let go; close the holder first, or raise claimTimeoutMs.`,
            { session: m.key },
          ),
        );
      }, timeoutMs);
      m.grant = {
        resolve: (effects) => {
          clearTimeout(timer);
          m.grant = undefined;
          if (effects === null && this.scope.atRest(m.key)) m.markClosed();
          resolve(effects);
        },
      };
    });
  }

  /**
   * Run a close's effects (each one even if another failed), then report `closed`; a holder with
   * exporters gets its export after the release, and reports `closed` again once it ran.
   */
  async #windDown(m: Managed, effects: Effect[]): Promise<void> {
    m.windingDown = true;
    try {
      let next = effects;
      while (next.length > 0) {
        await this.#runAll(m, next);
        next = this.#feed({ name: "closed", session: m.key });
      }
    } finally {
      m.windingDown = false;
      if (this.scope.awaitsClosed(m.key)) this.#feed({ name: "closed", session: m.key });
      if (this.scope.state(m.key) === "closed") {
        RoomTopics.of(this.room).releaseChat(m.key);
        m.markClosed();
      }
    }
  }

  async #runAll(m: Managed, effects: Effect[]): Promise<void> {
    for (const effect of effects) {
      try {
        await this.#run(m, effect);
      } catch {
        // undoing and closing go on: each effect leaves its resource free or says so on the next
      }
    }
  }

  // ---------------------------------------------------------------- effects

  async #run(m: Managed, effect: Effect): Promise<void> {
    const topics = RoomTopics.of(this.room);
    switch (effect.type) {
      case "ClaimPrimary":
        if (this.job !== null) agents.claim(this.job, m.session);
        return;
      case "ReleasePrimary":
        if (this.job !== null) agents.release(this.job, m.session);
        this.#recordings?.restore();
        return;
      case "StartSession":
        return this.#startLivekit(m, effect);
      case "DrainSession":
        m.session.shutdown({ drain: true });
        await m.session.close();
        return;
      case "CloseSession":
        await m.session.close();
        return;
      case "RegisterHost":
        topics.hostFree(m.key);
        if (await m.startHost()) topics.hostAcquired(m.key);
        return;
      case "UnregisterHost":
        topics.hostReleased(m.key);
        return;
      case "StartRecording":
        // agents-js started its recorder in the session's start: check it writes where it should
        m.recordingStartedAtMs = Date.now();
        m.recordings += 1;
        if (Recordings.outputPath(m.session) !== m.recordingPath) {
          throw new StartFailedError(
            `session '${m.key}' should record to ${String(m.recordingPath)} but its recorder writes to ${String(Recordings.outputPath(m.session))} (does it have audio input and output?)`,
            { session: m.key },
          );
        }
        return;
      case "StopRecording":
        // agents-js's close finalised the file
        m.recordingEndedAtMs = Date.now();
        if (m.recordingPath !== undefined && !Recordings.isOgg(m.recordingPath)) {
          throw new EffectFailed(`session '${m.key}''s recording ${m.recordingPath} is not a finished Ogg file`, {
            session: m.key,
          });
        }
        return;
      case "ExportRecording":
        return this.#export(m);
      case "AttachContext":
      case "DetachContext":
      case "OpenSpan":
      case "AnnotateSpan":
      case "EndSpan":
      case "WaitForClaim":
        // agents-js owns these: its start opens the span (in its own context), its close ends it
        return;
    }
  }

  async #export(m: Managed): Promise<void> {
    const exporters = m.options.exporters ?? [];
    if (m.recordingPath === undefined || exporters.length === 0) return;
    const info = {
      session: m.key,
      sessionId: `${m.key}#${m.recordings}`,
      room: this.room.name ?? null,
      jobId: this.job?.job.id ?? null,
      path: m.recordingPath,
      startedAtMs: m.recordingStartedAtMs,
      endedAtMs: m.recordingEndedAtMs,
      bytes: statSync(m.recordingPath).size,
    };
    m.exports = await runExporters(exporters, info, this.exportTimeoutMs);
  }

  async #startLivekit(m: Managed, effect: Extract<Effect, { type: "StartSession" }>): Promise<void> {
    if (m.agent === undefined) throw new Error(`session '${m.key}' has no agent`);
    const options = m.options;
    const wantsText = options.inputOptions?.textEnabled !== false;
    const chat = RoomTopics.of(this.room).planChat(m.key, wantsText);
    const inputOptions = wantsText && !chat.granted ? { ...options.inputOptions, textEnabled: false } : options.inputOptions;
    // the core's fields say it all: only a primary's start records (a secondary's says false)
    const record = effect.record;
    if (record && this.#recordings !== null) m.recordingPath = this.#recordings.prepare(m.key);
    const args = {
      agent: m.agent,
      room: this.room,
      ...(inputOptions === undefined ? {} : { inputOptions }),
      ...(options.outputOptions === undefined ? {} : { outputOptions: options.outputOptions }),
      ...(this.job === null ? {} : { record }),
    };
    // the core says whether the session keeps the designation agents-js's start gives it
    if (effect.designation) await m.session.start(args);
    else await agents.shieldDesignation(this.job, () => m.session.start(args));
  }

  // ---------------------------------------------------------------- bookkeeping

  /** The session's key: its own if managed, else `name` or a fresh one (not yet taken). */
  #keyFor(session: AgentSession, name: string | undefined): string {
    if (session === null || typeof session !== "object" || typeof session.start !== "function") {
      throw new InvalidInput("start takes an @livekit/agents voice.AgentSession");
    }
    const known = this.#keys.get(session);
    if (known !== undefined) return known;
    if (name !== undefined && (typeof name !== "string" || name === "")) {
      throw new InvalidInput(`a session's name is a non-empty string, got ${String(name)}`);
    }
    if (name === undefined) {
      let fresh: string;
      do fresh = `session-${++this.#names}`;
      while (this.#managed.has(fresh) || this.scope.has(fresh));
      return fresh;
    }
    const key = name;
    if (this.#managed.has(key) || this.scope.has(key)) {
      throw new InvalidInput(`a session named '${key}' is already managed`, { session: key });
    }
    return key;
  }

  /** Take charge of a session the core has just accepted. */
  #admit(session: AgentSession, key: string): Managed {
    const done = deferred();
    const m: Managed = {
      key,
      session,
      startHost: agents.deferHost(session),
      options: {},
      closed: done.promise,
      markClosed: done.resolve,
      windingDown: false,
      recordingStartedAtMs: 0,
      recordingEndedAtMs: 0,
      recordings: 0,
      exports: [],
      // a session that closes by itself (an error, agents-js's own shutdown) closes in the core too
      onClose: () => {
        if (!m.windingDown && this.scope.isRunning(key)) {
          void this.close(session).catch(() => undefined);
        }
      },
    };
    this.#managed.set(key, m);
    this.#keys.set(session, key);
    session.on(AgentSessionEventTypes.Close, m.onClose);
    return m;
  }

  #resetClosed(m: Managed): void {
    const done = deferred();
    m.closed = done.promise;
    m.markClosed = done.resolve;
  }

  #get(session: AgentSession): Managed {
    const m = this.#managed.get(this.#key(session));
    if (m === undefined) throw new InvalidInput("this AgentSession was forgotten by this coordinator");
    return m;
  }

  #key(session: AgentSession): string {
    const key = this.#keys.get(session);
    if (key === undefined) {
      throw new InvalidInput("this AgentSession is not managed by this coordinator; start it through it first");
    }
    return key;
  }

  /** Tell the core about a primary designation held by a session it does not manage. */
  #syncForeign(): void {
    if (this.job === null) return;
    const holder = agents.primaryOf(this.job);
    const ours = [...this.#managed.values()].some((m) => m.session === holder);
    // agents-js does not say whether a foreign session still runs: it is taken to run
    this.scope.seeDesignation(holder !== undefined && !ours ? FOREIGN : null, { running: true });
  }
}

/** Returned by `perParticipant`; `close()` stops it and closes its sessions. */
export class ParticipantFanout {
  readonly sessions = new Map<string, AgentSession>();
  readonly #coord: SessionCoordinator;
  readonly #factory: Parameters<SessionCoordinator["perParticipant"]>[0];
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  constructor(coord: SessionCoordinator, factory: Parameters<SessionCoordinator["perParticipant"]>[0]) {
    if (typeof factory !== "function") throw new InvalidInput("perParticipant takes a factory function");
    this.#coord = coord;
    this.#factory = factory;
    coord.room.on(RoomEvent.ParticipantConnected, this.#joined);
    coord.room.on(RoomEvent.ParticipantDisconnected, this.#left);
    for (const participant of coord.room.remoteParticipants.values()) this.#joined(participant);
  }

  /** Resolves once every start and close under way has finished. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#coord.room.off(RoomEvent.ParticipantConnected, this.#joined);
    this.#coord.room.off(RoomEvent.ParticipantDisconnected, this.#left);
    await this.settle();
    await Promise.allSettled([...this.sessions.keys()].map((identity) => this.#end(identity)));
  }

  readonly #joined = (participant: RemoteParticipant): void => {
    if (this.#closed || this.sessions.has(participant.identity)) return;
    const { session, agent, options } = this.#factory(participant);
    this.sessions.set(participant.identity, session);
    const linked = { ...options?.inputOptions, participantIdentity: participant.identity };
    const identity = participant.identity;
    const starting = this.#coord.start(session, agent, {
      ...options,
      role: "secondary",
      name: options?.name ?? `participant:${identity}`,
      inputOptions: linked,
    });
    // a start that failed (or was refused) leaves no session behind: a rejoin starts a fresh one
    this.#track(
      starting.catch((error: unknown) => {
        if (this.sessions.get(identity) === session) this.sessions.delete(identity);
        if (this.#coord.manages(session)) this.#coord.forget(session);
        throw error;
      }),
    );
  };

  readonly #left = (participant: RemoteParticipant): void => {
    if (this.sessions.has(participant.identity)) this.#track(this.#end(participant.identity));
  };

  async #end(identity: string): Promise<void> {
    const session = this.sessions.get(identity);
    if (session === undefined) return;
    this.sessions.delete(identity);
    await this.#coord.close(session);
    this.#coord.forget(session);
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, key: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EffectFailed(`closing session '${key}' took over ${ms} ms`, { session: key })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
