/** The sans-IO core alone (no @livekit import): `import { Scope } from "livekit-session-fsm/core"`. */
export { Scope, missingNames, type Outcome, type ScopeSnapshot, type SessionSnapshot } from "./machine.ts";
export { TABLE, FORMAT, loadTable } from "./table.ts";
export type { TableDocument, TableRow, SessionState, OwnershipState, Role, EventName } from "./table.ts";
export type { Event, SessionEvent, ScopeEvent, Start } from "./events.ts";
export { compensate, EFFECT_TYPES, type Effect, type EffectType } from "./effects.ts";
export * from "./errors.ts";
export { GUARDS } from "./guards.ts";
export { PLANS } from "./plans.ts";
export { REFUSALS } from "./refusals.ts";
