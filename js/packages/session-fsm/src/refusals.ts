/**
 * The table's refusals, one function per name. The messages are the Python refusals' own,
 * exported as templates (`messages` in the table); each function only picks the variant and fills
 * in the session and the holder.
 */
import { errorFor, type SessionLifecycleError } from "./errors.ts";
import type { SessionEvent } from "./events.ts";
import type { ScopeView, SessionRecord } from "./record.ts";
import { TABLE } from "./table.ts";

export type Refusal = (scope: ScopeView, s: SessionRecord, e: SessionEvent) => SessionLifecycleError;

function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Who holds the scope, as the messages name it. */
export function holderText(scope: ScopeView): string {
  const t = TABLE.messages.holder;
  const values = { who: scope.holder ?? "?", ownership: scope.ownership, waiter: scope.waiter ?? "" };
  let text = fill(scope.foreign ? t.foreign : t.managed, values);
  if (scope.waiter !== null) text += fill(t.waiter, values);
  return text;
}

function refuse(name: string, variant: string, scope: ScopeView, s: SessionRecord): SessionLifecycleError {
  const message = TABLE.messages.refusals[name]?.[variant];
  if (message === undefined) throw new Error(`table.json has no message ${name}/${variant}`);
  const text = fill(message.template, { session: s.key, holder: holderText(scope) });
  return errorFor(message.code, text, s.key);
}

export function refuse_secondary_features(scope: ScopeView, s: SessionRecord, e: SessionEvent): SessionLifecycleError {
  if (e.name !== "start") throw new Error("refuse_secondary_features refuses a start");
  const why = e.role === "secondary" ? "asked" : "held";
  const what = e.record === true ? "record" : e.host === true ? "host" : "exporter";
  return refuse("refuse_secondary_features", `${why}.${what}`, scope, s);
}

export function refuse_primary_conflict(scope: ScopeView, s: SessionRecord, e: SessionEvent): SessionLifecycleError {
  return refuse("refuse_primary_conflict", e.name === "promote" ? "promote" : "start", scope, s);
}

export function refuse_exporter_without_recording(
  scope: ScopeView,
  s: SessionRecord,
  _e: SessionEvent,
): SessionLifecycleError {
  return refuse("refuse_exporter_without_recording", "start", scope, s);
}

/** The refusals by the names the table uses. */
export const REFUSALS: Readonly<Record<string, Refusal>> = {
  refuse_secondary_features,
  refuse_primary_conflict,
  refuse_exporter_without_recording,
};
