/** What guards, plans and refusals read: the scope and one session's record. */
import type { Effect } from "./effects.ts";
import type { SessionEvent } from "./events.ts";
import { TABLE } from "./table.ts";
import type { OwnershipState, Role, SessionState } from "./table.ts";

/** What the scope knows of one session (read it, do not change it). */
export interface SessionRecord {
  readonly key: string;
  state: SessionState;
  role: Role | null;
  record: boolean;
  host: boolean;
  exporter: boolean;
  /** Bits of the table's `flags`. */
  flags: number;
  /** The effects of the start under way, for compensation. */
  plan: readonly Effect[];
}

/** The scope as guards, plans and refusals see it. */
export interface ScopeView {
  readonly ownership: OwnershipState;
  readonly holder: string | null;
  readonly foreign: boolean;
  readonly waiter: string | null;
  isHolder(key: string): boolean;
  resolveRecord(record: boolean | null | undefined): boolean;
}

export type Guard = (scope: ScopeView, s: SessionRecord, e: SessionEvent) => boolean;
export type Plan = (scope: ScopeView, s: SessionRecord, e: SessionEvent) => Effect[];

function bit(name: string): number {
  const value = TABLE.flags[name];
  if (value === undefined) throw new Error(`table.json has no flag ${name}`);
  return value;
}

/** The flag bits this package's guards read, by the table's names. */
export const WAITING = bit("waiting");
export const PROMOTING = bit("promoting");
export const CLOSE_PENDING = bit("close_pending");
export const CLOSING = bit("closing");
export const RETRACTING = bit("retracting");

/** The bits of the named flags. */
export function flagBits(names: readonly string[]): number {
  return names.reduce((bits, name) => bits | bit(name), 0);
}

/** The names of the bits set in `flags`, in the table's order. */
export function flagNames(flags: number): string[] {
  return Object.entries(TABLE.flags)
    .filter(([, value]) => flags & value)
    .map(([name]) => name);
}
