/** The core's inputs, as plain values (the same fields as the Python events, snake_case names). */
import type { Role } from "./table.ts";

export interface Start {
  readonly name: "start";
  readonly session: string;
  readonly role?: Role;
  /** null/undefined: the scope's default for a primary (the job's recording), off for a secondary. */
  readonly record?: boolean | null;
  /** null/undefined: host when primary. */
  readonly host?: boolean | null;
  /** Whether the caller gave recording exporters. */
  readonly exporter?: boolean;
}
export interface Started {
  readonly name: "started";
  readonly session: string;
}
export interface StartFailed {
  readonly name: "start_failed";
  readonly session: string;
  readonly completed: number;
}
export interface Drain {
  readonly name: "drain";
  readonly session: string;
}
export interface Close {
  readonly name: "close";
  readonly session: string;
}
export interface Closed {
  readonly name: "closed";
  readonly session: string;
}
export interface Promote {
  readonly name: "promote";
  readonly session: string;
}
export interface ForeignHold {
  readonly name: "foreign_hold";
  readonly holder: string;
}
export interface ForeignRelease {
  readonly name: "foreign_release";
}

export type SessionEvent = Start | Started | StartFailed | Drain | Close | Closed | Promote;
export type ScopeEvent = ForeignHold | ForeignRelease;
export type Event = SessionEvent | ScopeEvent;
