/**
 * The table's plans, one function per name: a transition's effects in the order the runtime must
 * run them (see `session_fsm/fsm/_table.py` for why each is ordered as it is).
 */
import { compensate, type Effect } from "./effects.ts";
import type { SessionEvent } from "./events.ts";
import type { Plan, ScopeView, SessionRecord } from "./record.ts";

type S = ScopeView;
type R = SessionRecord;
type E = SessionEvent;

/** Claim first, run livekit's start in the session's own trace context, then take charge. */
export function plan_primary_start(_scope: S, s: R, _e: E): Effect[] {
  const session = s.key;
  const plan: Effect[] = [
    { type: "ClaimPrimary", session },
    { type: "AttachContext", session },
    { type: "StartSession", session, role: "primary", record: s.record, host: s.host, designation: true },
    { type: "OpenSpan", session, role: "primary" },
  ];
  if (s.record) plan.push({ type: "StartRecording", session });
  if (s.host) plan.push({ type: "RegisterHost", session });
  return plan;
}

export function plan_secondary_start(_scope: S, s: R, _e: E): Effect[] {
  const session = s.key;
  return [
    { type: "AttachContext", session },
    { type: "StartSession", session, role: "secondary", record: false, host: false, designation: false },
    { type: "OpenSpan", session, role: "secondary" },
  ];
}

/** A running session cannot grow a recorder: a promoted primary hosts but does not record. */
export function plan_promotion(_scope: S, s: R, _e: E): Effect[] {
  const session = s.key;
  return [
    { type: "ClaimPrimary", session },
    { type: "RegisterHost", session },
    { type: "AnnotateSpan", session, what: "role" },
  ];
}

export function plan_wait(_scope: S, s: R, _e: E): Effect[] {
  return [{ type: "WaitForClaim", session: s.key }];
}

export function plan_drain(_scope: S, s: R, _e: E): Effect[] {
  return [{ type: "DrainSession", session: s.key }];
}

/**
 * Close, unhost, finalise the recording, then release: a handoff waits for the file, never for an
 * upload. A recording with exporters keeps its span open for `plan_export`, after the release.
 */
export function plan_primary_close(_scope: S, s: R, _e: E): Effect[] {
  const session = s.key;
  const plan: Effect[] = [{ type: "CloseSession", session }];
  if (s.host) plan.push({ type: "UnregisterHost", session });
  if (s.record) plan.push({ type: "StopRecording", session });
  if (!(s.record && s.exporter)) plan.push({ type: "EndSpan", session });
  plan.push({ type: "DetachContext", session }, { type: "ReleasePrimary", session });
  return plan;
}

/** After the release: export the recording, put its references on the span, then end it. */
export function plan_export(_scope: S, s: R, _e: E): Effect[] {
  const session = s.key;
  return [
    { type: "ExportRecording", session },
    { type: "AnnotateSpan", session, what: "recording" },
    { type: "EndSpan", session },
  ];
}

export function plan_secondary_close(_scope: S, s: R, _e: E): Effect[] {
  const session = s.key;
  return [
    { type: "CloseSession", session },
    { type: "EndSpan", session },
    { type: "DetachContext", session },
  ];
}

/** Undo the effects of the failed start that had completed, newest first. */
export function plan_compensation(_scope: S, s: R, e: E): Effect[] {
  if (e.name !== "start_failed") throw new Error("plan_compensation runs on start_failed");
  return compensate(s.plan.slice(0, e.completed));
}

/** The plans by the names the table uses. */
export const PLANS: Readonly<Record<string, Plan>> = {
  plan_primary_start,
  plan_secondary_start,
  plan_promotion,
  plan_wait,
  plan_drain,
  plan_primary_close,
  plan_export,
  plan_secondary_close,
  plan_compensation,
};
