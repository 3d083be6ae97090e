/**
 * The table's guards, one function per name (`session_fsm/fsm/_table.py`'s guards). A guard sees
 * the scope, the session's record and the event; it never mutates.
 */
import type { SessionEvent } from "./events.ts";
import {
  CLOSING,
  PROMOTING,
  RETRACTING,
  WAITING,
  type Guard,
  type ScopeView,
  type SessionRecord,
} from "./record.ts";

/** Claimed or held, or releasing with a start already waiting to take over. */
function scopeTaken(scope: ScopeView): boolean {
  const own = scope.ownership;
  return own === "claimed" || own === "held" || (own === "releasing" && scope.waiter !== null);
}

type S = ScopeView;
type R = SessionRecord;
type E = SessionEvent;

export const always = (_scope: S, _s: R, _e: E): boolean => true;

export function secondary_with_primary_features(scope: S, _s: R, e: E): boolean {
  if (e.name !== "start") return false;
  const role = e.role ?? "auto";
  const secondary = role === "secondary" || (role === "auto" && scopeTaken(scope));
  return secondary && (e.record === true || e.host === true || e.exporter === true);
}

export function primary_taken(scope: S, _s: R, e: E): boolean {
  return e.name === "start" && e.role === "primary" && scopeTaken(scope);
}

export function exporter_without_recording(scope: S, _s: R, e: E): boolean {
  return e.name === "start" && e.exporter === true && !scope.resolveRecord(e.record);
}

export function wants_primary_and_vacant(scope: S, _s: R, e: E): boolean {
  return scope.ownership === "vacant" && (e.name !== "start" || e.role !== "secondary");
}

export function wants_primary_and_releasing(scope: S, _s: R, e: E): boolean {
  if (scope.ownership !== "releasing" || scope.waiter !== null) return false;
  return e.name !== "start" || e.role !== "secondary";
}

export function scope_taken(scope: S, _s: R, _e: E): boolean {
  return scopeTaken(scope);
}

export function waiting(_scope: S, s: R, _e: E): boolean {
  return (s.flags & WAITING) !== 0;
}

export function waiting_promotion(_scope: S, s: R, _e: E): boolean {
  return (s.flags & (WAITING | PROMOTING)) === (WAITING | PROMOTING);
}

export function claimed_start(_scope: S, s: R, _e: E): boolean {
  return s.role === "primary" && (s.flags & (WAITING | RETRACTING)) === 0;
}

export function secondary_start(_scope: S, s: R, _e: E): boolean {
  return s.role === "secondary" && (s.flags & (WAITING | RETRACTING)) === 0;
}

export function retracting_promotion(_scope: S, s: R, _e: E): boolean {
  return (s.flags & (RETRACTING | PROMOTING)) === (RETRACTING | PROMOTING);
}

export function retracting_claim(scope: S, s: R, _e: E): boolean {
  return (s.flags & RETRACTING) !== 0 && scope.isHolder(s.key);
}

export function retracting(_scope: S, s: R, _e: E): boolean {
  return (s.flags & RETRACTING) !== 0;
}

export function closing(_scope: S, s: R, _e: E): boolean {
  return (s.flags & CLOSING) !== 0;
}

export function holder(scope: S, s: R, _e: E): boolean {
  return scope.isHolder(s.key);
}

export function closing_holder(scope: S, s: R, _e: E): boolean {
  return (s.flags & CLOSING) !== 0 && scope.isHolder(s.key);
}

export function closing_holder_exporting(scope: S, s: R, _e: E): boolean {
  return (s.flags & CLOSING) !== 0 && s.record && s.exporter && scope.isHolder(s.key);
}

export function scope_vacant(scope: S, _s: R, _e: E): boolean {
  return scope.ownership === "vacant";
}

export function scope_releasing(scope: S, _s: R, _e: E): boolean {
  return scope.ownership === "releasing" && scope.waiter === null;
}

/** The guards by the names the table uses. */
export const GUARDS: Readonly<Record<string, Guard>> = {
  always,
  secondary_with_primary_features,
  primary_taken,
  exporter_without_recording,
  wants_primary_and_vacant,
  wants_primary_and_releasing,
  scope_taken,
  waiting,
  waiting_promotion,
  claimed_start,
  secondary_start,
  retracting_promotion,
  retracting_claim,
  retracting,
  closing,
  holder,
  closing_holder,
  closing_holder_exporting,
  scope_vacant,
  scope_releasing,
};
