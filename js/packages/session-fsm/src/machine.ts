/**
 * The small class that applies the exported table: one `Scope` per job (or per Room without a
 * job). `scope.handle(event) -> effects` is the whole contract, as in the Python core
 * (`session_fsm/fsm/_machine.py`): sans-IO, no clock, the same events give the same states and
 * effects. The rows, the ownership moves and the special cases' data come from `table.json`; the
 * guards, plans and refusals are the named functions of `guards.ts`, `plans.ts` and `refusals.ts`.
 *
 * Three special cases do not fit a row (the Python core names the same three):
 * 1. grant: a move that leaves the scope vacant while a start waits claims it for the waiter in
 *    the same step, and returns the waiter's plan after the row's effects;
 * 2. close pending: a close that arrived while starting fires once the session lands in
 *    `primary` or `secondary`;
 * 3. remember the start: a transition into `starting` keeps its plan, so a later
 *    `start_failed(completed=k)` undoes exactly the first k effects.
 */
import type { Effect } from "./effects.ts";
import { InvalidInput, InvalidTransition } from "./errors.ts";
import type { Event, ScopeEvent, SessionEvent, Start } from "./events.ts";
import { GUARDS } from "./guards.ts";
import { PLANS } from "./plans.ts";
import {
  CLOSE_PENDING,
  CLOSING,
  PROMOTING,
  RETRACTING,
  WAITING,
  flagBits,
  flagNames,
  type Guard,
  type Plan,
  type ScopeView,
  type SessionRecord,
} from "./record.ts";
import { REFUSALS, type Refusal } from "./refusals.ts";
import { TABLE } from "./table.ts";
import type { EventName, OwnershipState, Role, SessionState, TableDocument } from "./table.ts";

/** A row with its names resolved to this package's functions. */
interface Row {
  readonly source: SessionState;
  readonly guard: Guard;
  readonly target: SessionState | null;
  readonly refuse: Refusal | null;
  readonly role: Role | null;
  readonly move: string | null;
  readonly plan: Plan | null;
  readonly sets: number;
  readonly clears: number;
}

function named<T>(kind: string, functions: Readonly<Record<string, T>>, name: string): T {
  const fn = functions[name];
  if (fn === undefined) throw new Error(`the table names ${kind} ${name}, which this package lacks`);
  return fn;
}

/** The names the table uses that this package has no function for (empty when it has all). */
export function missingNames(table: TableDocument = TABLE): string[] {
  const missing = [
    ...table.guards.filter((n) => !(n in GUARDS)).map((n) => `guard ${n}`),
    ...table.plans.filter((n) => !(n in PLANS)).map((n) => `plan ${n}`),
    ...table.refusals.filter((n) => !(n in REFUSALS)).map((n) => `refusal ${n}`),
  ];
  for (const row of table.rows) {
    if (!(row.guard in GUARDS)) missing.push(`guard ${row.guard}`);
    if (row.plan !== null && !(row.plan in PLANS)) missing.push(`plan ${row.plan}`);
    if (row.refuse !== null && !(row.refuse in REFUSALS)) missing.push(`refusal ${row.refuse}`);
  }
  return [...new Set(missing)];
}

type Index = Map<SessionState, Map<EventName, Row[]>>;

function compile(table: TableDocument): Index {
  const index: Index = new Map(table.session_states.map((s) => [s, new Map()]));
  for (const r of table.rows) {
    const row: Row = {
      source: r.source,
      guard: named("guard", GUARDS, r.guard),
      target: r.target,
      refuse: r.refuse === null ? null : named("refusal", REFUSALS, r.refuse),
      role: r.role,
      move: r.move,
      plan: r.plan === null ? null : named("plan", PLANS, r.plan),
      sets: flagBits(r.sets),
      clears: flagBits(r.clears),
    };
    const byEvent = index.get(r.source);
    if (byEvent === undefined) throw new Error(`table row from unknown state ${r.source}`);
    const rows = byEvent.get(r.event) ?? [];
    rows.push(row);
    byEvent.set(r.event, rows);
  }
  return index;
}

const SESSION_EVENTS = new Set<string>(TABLE.events.map((e) => e.name));

const HINTS: Partial<Record<SessionState, string>> = {
  created: "Start it first.",
  starting: "Wait for its start to finish.",
  closed: "Start it again to reuse it.",
};

export interface SessionSnapshot {
  state: SessionState;
  role: Role | null;
  record: boolean;
  host: boolean;
  exporter: boolean;
  flags: string[];
  plan: Effect[];
}

/** One event's step, sorted for the runtime (`Scope.step`), as in the Python core. */
export interface Outcome {
  /** The effects for the event's own session, in order. */
  readonly effects: Effect[];
  /**
   * The session that was waiting for the scope before this step and no longer waits (granted
   * the scope, or its wait ended: closed, or a promotion back to secondary); else null.
   */
  readonly waitOver: string | null;
  /** The plan the scope was granted with, for `waitOver` (empty: its wait ended without). */
  readonly grant: Effect[];
}

export interface ScopeSnapshot {
  ownership: OwnershipState;
  holder: string | null;
  foreign: boolean;
  waiter: string | null;
  sessions: Record<string, SessionSnapshot>;
}

/** The coupled session and ownership machines of one ownership scope. */
export class Scope implements ScopeView {
  /** What `record: null` means for a primary (the job's recording setting). */
  readonly recordDefault: boolean;
  ownership: OwnershipState = "vacant";
  /** The key of the session that claimed or holds the scope (or the foreign holder's name). */
  holder: string | null = null;
  /** True while the holder is a session this scope does not manage. */
  foreign = false;
  /** The start waiting for the releasing holder to let go; it has reserved the scope. */
  waiter: string | null = null;
  /**
   * The last session of this scope that claimed it (null once forgotten): the one the end-of-job
   * report is shown (`reportHolder`). History, not state: snapshots leave it out.
   */
  lastHolder: string | null = null;
  /** The plan `#grant` made during the current `step` (null: no grant). */
  #granted: Effect[] | null = null;
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #index: Index;
  readonly #table: TableDocument;

  constructor(options: { recordDefault?: boolean; table?: TableDocument } = {}) {
    this.recordDefault = options.recordDefault ?? false;
    this.#table = options.table ?? TABLE;
    this.#index = compile(this.#table);
  }

  // ---------------------------------------------------------------- queries

  isHolder(key: string): boolean {
    return this.holder === key && !this.foreign;
  }

  resolveRecord(record: boolean | null | undefined): boolean {
    return record ?? this.recordDefault;
  }

  /** Whether the session holds nothing (created, closed, or unknown): it may start afresh. */
  atRest(key: string): boolean {
    const s = this.#sessions.get(key);
    return s === undefined || this.#table.at_rest.includes(s.state);
  }

  /**
   * Whether the livekit session runs and no close of it is under way: when it closes by itself,
   * that close must be fed as `close`.
   */
  isRunning(key: string): boolean {
    const s = this.#sessions.get(key);
    return s !== undefined && this.#table.running.includes(s.state) && (s.flags & CLOSING) === 0;
  }

  /**
   * Whether the session's close (or a failed start's undoing) was asked for and only `closed` is
   * awaited: the runtime reports it once those effects ran.
   */
  awaitsClosed(key: string): boolean {
    const s = this.#sessions.get(key);
    return s !== undefined && (s.flags & (CLOSING | RETRACTING)) !== 0;
  }

  /**
   * The session the end-of-job report should see as the job's primary once every session is
   * closed: the last one of ours that held the scope, unless a foreign session holds it now or
   * ours was forgotten.
   */
  reportHolder(): string | null {
    return this.foreign ? null : this.lastHolder;
  }

  /** The session's state; throws `invalid_transition` for a session the scope does not know. */
  state(key: string): SessionState {
    return this.session(key).state;
  }

  /** The live record (read it, do not change it). */
  session(key: string): Readonly<SessionRecord> {
    const s = this.#sessions.get(key);
    if (s === undefined) {
      throw new InvalidTransition(`session '${key}' is not known to this scope; start it first.`, { session: key });
    }
    return s;
  }

  sessions(): ReadonlyMap<string, Readonly<SessionRecord>> {
    return this.#sessions;
  }

  has(key: string): boolean {
    return this.#sessions.has(key);
  }

  /** The whole state as plain data, shaped as the Python conformance traces show it. */
  toJSON(): ScopeSnapshot {
    const sessions: Record<string, SessionSnapshot> = {};
    for (const [key, s] of this.#sessions) {
      sessions[key] = {
        state: s.state,
        role: s.role,
        record: s.record,
        host: s.host,
        exporter: s.exporter,
        flags: flagNames(s.flags),
        plan: [...s.plan],
      };
    }
    return { ownership: this.ownership, holder: this.holder, foreign: this.foreign, waiter: this.waiter, sessions };
  }

  // ---------------------------------------------------------------- membership

  /** Make a session known (a start does this by itself). */
  add(key: string): void {
    if (typeof key !== "string") throw new InvalidInput(`session keys are strings, got ${typeof key}`);
    if (!this.#sessions.has(key)) this.#sessions.set(key, newRecord(key));
  }

  /** Drop a session that holds nothing (created or closed), e.g. a participant who left. */
  forget(key: string): void {
    const s = this.#sessions.get(key);
    if (s === undefined) return;
    if (s.state !== "closed" && s.state !== "created") {
      throw new InvalidTransition(`session '${key}' is ${s.state}; close it before forgetting it.`, { session: key });
    }
    this.#sessions.delete(key);
    if (this.lastHolder === key) this.lastHolder = null;
  }

  // ---------------------------------------------------------------- the step

  /**
   * `handle(event)`, sorted for the runtime: the effects of the event's own session, and the
   * plan a waiting start was granted (special case 1).
   */
  step(event: Event): Outcome {
    const waiter = this.waiter;
    this.#granted = null;
    let effects = this.handle(event);
    const granted = this.#granted as Effect[] | null;
    this.#granted = null;
    if (waiter === null || this.waiter === waiter) return { effects, waitOver: null, grant: [] };
    if (granted === null) return { effects, waitOver: waiter, grant: [] };
    effects = effects.filter((e) => e.session !== waiter);
    return { effects, waitOver: waiter, grant: granted };
  }

  /**
   * Apply one event; return the effects to run, in order. Throws (state unchanged) when the event
   * is refused or not accepted in the current state.
   */
  handle(event: Event): Effect[] {
    if (event.name === "foreign_hold" || event.name === "foreign_release") return this.#scopeEvent(event);
    if (!SESSION_EVENTS.has(event.name) || typeof event.session !== "string") {
      throw new InvalidInput(`Scope.handle takes a core event (start, close...), got ${JSON.stringify(event)}`);
    }
    if (event.name === "start") checkStart(event);
    let s = this.#sessions.get(event.session);
    const isNew = s === undefined;
    if (s === undefined) {
      if (event.name !== "start") {
        throw new InvalidTransition(
          `${event.name} for session '${event.session}', which this scope does not know; start it first.`,
          { session: event.session },
        );
      }
      s = newRecord(event.session);
    }
    const row = this.#select(s, event);
    if (row.refuse !== null) throw row.refuse(this, s, event); // state unchanged
    if (isNew) this.#sessions.set(s.key, s);
    if (row.role !== null) this.#resolve(s, row.role, event);
    let plan = row.plan === null ? [] : row.plan(this, s, event);
    const target = row.target;
    if (target === null) throw new Error("table bug: a row neither refuses nor moves");
    if (target === "starting") {
      // special case 3: remember the start (a wait has none)
      if (row.source !== "starting") s.plan = row.sets & WAITING ? [] : plan;
    } else if (row.source === "starting") {
      s.plan = [];
    }
    if (row.sets || row.clears) this.#setFlags(s, (s.flags | row.sets) & ~row.clears);
    s.state = target;
    if (target === "closed") {
      s.role = null;
      s.flags = 0;
      s.plan = [];
      s.record = s.host = s.exporter = false;
    }
    if (row.move !== null) plan = plan.concat(this.#move(row.move, s.key));
    if (s.flags & CLOSE_PENDING && this.#table.special_cases.close_pending_fires_in.includes(target)) {
      s.flags &= ~CLOSE_PENDING; // special case 2: the pending close fires now
      plan = plan.concat(this.handle({ name: "close", session: s.key }));
    }
    return plan;
  }

  #select(s: SessionRecord, event: SessionEvent): Row {
    const rows = this.#index.get(s.state)?.get(event.name);
    if (rows !== undefined) {
      if (event.name === "start_failed") {
        const done = event.completed;
        if (!Number.isInteger(done) || done < 0 || done > s.plan.length) {
          throw new InvalidTransition(
            `start_failed for session '${s.key}' says ${String(done)} effects completed, but its start has ${s.plan.length}.`,
            { session: s.key },
          );
        }
      }
      for (const row of rows) if (row.guard(this, s, event)) return row;
    }
    const extra = flagNames(s.flags);
    const described = s.state + (extra.length ? ` (${extra.join(", ")})` : "");
    throw new InvalidTransition(
      `session '${s.key}' is ${described}; it does not accept ${event.name}. ${HINTS[s.state] ?? ""}`.trimEnd(),
      { session: s.key },
    );
  }

  #resolve(s: SessionRecord, role: Role, event: SessionEvent): void {
    if (event.name === "start") {
      const primary = role === "primary";
      s.record = primary && this.resolveRecord(event.record);
      s.host = primary && event.host !== false;
      s.exporter = primary && event.exporter === true;
    } else {
      // a promotion hosts but cannot record; a failed one goes back to secondary
      s.host = role === "primary";
      s.record = false;
      s.exporter = false;
    }
    s.role = role;
  }

  /** The waiter follows the WAITING bit. */
  #setFlags(s: SessionRecord, flags: number): void {
    if ((flags ^ s.flags) & WAITING) this.waiter = flags & WAITING ? s.key : null;
    s.flags = flags;
  }

  #move(move: string, key: string, foreign = false): Effect[] {
    const edge = this.#table.moves[move];
    if (edge === undefined) throw new Error(`table bug: unknown move ${move}`);
    const [source, target] = edge;
    if (this.ownership !== source) throw new Error(`table bug: ${move} from ${this.ownership}`);
    this.ownership = target;
    if (target === "claimed" || move === this.#table.scope_event_moves.foreign_hold) {
      this.holder = key;
      this.foreign = foreign;
      if (!foreign) this.lastHolder = key;
    } else if (target === "vacant") {
      this.holder = null;
      this.foreign = false;
      if (this.waiter !== null) return this.#grant(this.waiter);
    }
    return [];
  }

  /** Special case 1: the vacant scope goes to the waiting start. */
  #grant(key: string): Effect[] {
    const w = this.#sessions.get(key);
    if (w === undefined) throw new Error(`table bug: the waiter ${key} is unknown`);
    const grant = this.#table.special_cases.grant;
    const promotion = (w.flags & PROMOTING) !== 0;
    this.#setFlags(w, w.flags & ~WAITING);
    this.#move(grant.move, key);
    const plan = named("plan", PLANS, promotion ? grant.plans.promotion : grant.plans.start);
    w.plan = plan(this, w, { name: "start", session: key });
    this.#granted = [...w.plan];
    return [...w.plan];
  }

  /**
   * What the runtime saw holding the job's primary designation: `holder` names a session this
   * scope does not manage (null: nobody, or one of ours), `running` whether it still runs. A
   * running foreign holder is recorded while the scope is vacant (`foreign_hold`); one that is gone
   * is forgotten (`foreign_release`). Returns true when the designation must be cleared: its holder
   * closed without releasing it. The Python core's `Scope.see_designation`.
   */
  seeDesignation(holder: string | null, options: { running: boolean }): boolean {
    if (holder !== null && options.running) {
      if (this.ownership === "vacant") this.#scopeEvent({ name: "foreign_hold", holder });
      return false;
    }
    // nothing waits while a foreign session holds it: no grant follows
    if (this.foreign) this.#scopeEvent({ name: "foreign_release" });
    return holder !== null;
  }

  #scopeEvent(event: ScopeEvent): Effect[] {
    const move = this.#table.scope_event_moves[event.name];
    if (event.name === "foreign_hold") {
      if (typeof event.holder !== "string") throw new InvalidInput("foreign_hold needs the holder's name");
      if (this.ownership === this.#table.moves[move]?.[0]) return this.#move(move, event.holder, true);
      if (this.foreign && this.holder === event.holder) return [];
    } else if (this.foreign) {
      return this.#move(move, "");
    }
    throw new InvalidTransition(
      `${event.name} while the scope is ${this.ownership} (holder ${this.holder === null ? "None" : `'${this.holder}'`}); the scope only records a foreign holder while vacant.`,
    );
  }
}

const ROLES = new Set<unknown>(TABLE.roles);
const OPTIONAL_FLAG = new Set<unknown>([true, false, null, undefined]);

/** Bad input gets a clear error and changes nothing (the Python `Start` checks the same). */
function checkStart(event: Start): void {
  if (
    !(event.role === undefined || ROLES.has(event.role)) ||
    !OPTIONAL_FLAG.has(event.record) ||
    !OPTIONAL_FLAG.has(event.host) ||
    !(event.exporter === undefined || typeof event.exporter === "boolean")
  ) {
    throw new InvalidInput(
      `start takes role: ${[...ROLES].join(" | ")}, record and host: boolean or null, exporter: boolean; got ${JSON.stringify(event)}`,
      { session: event.session },
    );
  }
}

function newRecord(key: string): SessionRecord {
  return { key, state: "created", role: null, record: false, host: false, exporter: false, flags: 0, plan: [] };
}
