/**
 * The core's outputs: what a transition asks the runtime to do, as plain values named like the
 * Python effect classes (the table's `effects`).
 */
import { TABLE } from "./table.ts";
import type { Role } from "./table.ts";

export type Effect =
  | { readonly type: "ClaimPrimary"; readonly session: string }
  | { readonly type: "ReleasePrimary"; readonly session: string }
  | { readonly type: "AttachContext"; readonly session: string }
  | { readonly type: "DetachContext"; readonly session: string }
  | {
      readonly type: "StartSession";
      readonly session: string;
      readonly role: Role;
      readonly record: boolean;
      readonly host: boolean;
      /**
       * Whether the session holds the job's primary designation once the start returns: agents-js
       * makes any session that starts while nobody holds it the primary; a start that must not
       * hold it (a secondary's) leaves it as the start found it.
       */
      readonly designation: boolean;
    }
  | { readonly type: "DrainSession"; readonly session: string }
  | { readonly type: "CloseSession"; readonly session: string }
  | { readonly type: "OpenSpan"; readonly session: string; readonly role: Role }
  | { readonly type: "AnnotateSpan"; readonly session: string; readonly what: string }
  | { readonly type: "EndSpan"; readonly session: string }
  | { readonly type: "StartRecording"; readonly session: string }
  | { readonly type: "StopRecording"; readonly session: string }
  | { readonly type: "ExportRecording"; readonly session: string }
  | { readonly type: "RegisterHost"; readonly session: string }
  | { readonly type: "UnregisterHost"; readonly session: string }
  | { readonly type: "WaitForClaim"; readonly session: string };

export type EffectType = Effect["type"];

/** The effect types this package knows, to check the table's list against. */
export const EFFECT_TYPES: readonly EffectType[] = [
  "ClaimPrimary",
  "ReleasePrimary",
  "AttachContext",
  "DetachContext",
  "StartSession",
  "DrainSession",
  "CloseSession",
  "OpenSpan",
  "AnnotateSpan",
  "EndSpan",
  "StartRecording",
  "StopRecording",
  "ExportRecording",
  "RegisterHost",
  "UnregisterHost",
  "WaitForClaim",
];

/** The effects that undo `done`, newest first (the table's `compensation`). */
export function compensate(done: readonly Effect[]): Effect[] {
  const undo: Effect[] = [];
  for (const effect of [...done].reverse()) {
    const inverse = TABLE.compensation[effect.type];
    if (inverse !== undefined) undo.push({ type: inverse, session: effect.session } as Effect);
  }
  return undo;
}
