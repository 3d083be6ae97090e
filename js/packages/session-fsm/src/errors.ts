/**
 * One error family with the Python package's stable codes (`session_fsm/fsm/errors.py`): match on
 * `error.code`, not on the message. A test checks that every code the table exports has a class.
 */

export class SessionLifecycleError extends Error {
  static readonly code: string = "session_lifecycle_error";
  readonly code: string;
  readonly session: string | null;

  constructor(message: string, options: { session?: string | null; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = (new.target as typeof SessionLifecycleError).code;
    this.name = new.target.name;
    this.session = options.session ?? null;
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A session asked for the primary while another session holds or claimed it. */
export class PrimaryConflict extends SessionLifecycleError {
  static override readonly code = "primary_conflict";
}
/** `record: true` on a session that resolves to secondary. */
export class RecordingRequiresPrimary extends SessionLifecycleError {
  static override readonly code = "recording_requires_primary";
}
/** `host: true` on a session that resolves to secondary. */
export class HostRequiresPrimary extends SessionLifecycleError {
  static override readonly code = "host_requires_primary";
}
/** Recording exporters on a session that resolves to secondary. */
export class ExporterRequiresPrimary extends SessionLifecycleError {
  static override readonly code = "exporter_requires_primary";
}
/** Recording exporters on a primary that will not record. */
export class ExporterRequiresRecording extends SessionLifecycleError {
  static override readonly code = "exporter_requires_recording";
}
/** An event the session's (or the scope's) current state does not accept. */
export class InvalidTransition extends SessionLifecycleError {
  static override readonly code = "invalid_transition";
}
/** A start waited longer than its `claimTimeout` for the releasing primary. */
export class ClaimTimeout extends SessionLifecycleError {
  static override readonly code = "claim_timeout";
}
/** Starting the livekit session (or one of its effects) failed; everything was undone. */
export class StartFailedError extends SessionLifecycleError {
  static override readonly code = "start_failed";
}
/** A drain (or another effect outside a start) failed; closing the session is always possible. */
export class EffectFailed extends SessionLifecycleError {
  static override readonly code = "effect_failed";
}
/** A public entry point was given a value it cannot use; nothing was changed. */
export class InvalidInput extends SessionLifecycleError {
  static override readonly code = "invalid_input";
}

/** A start (or a fan-out) asked of a coordinator whose job or room was shut down. */
export class ScopeClosed extends SessionLifecycleError {
  static override readonly code = "scope_closed";
}
/** A session that was already started directly with livekit, outside any coordinator. */
export class ForeignSession extends SessionLifecycleError {
  static override readonly code = "foreign_session";
}
/**
 * The installed livekit SDK lacks what the start asked for. The Python package raises it for old
 * livekit-agents versions; this package supports @livekit/agents 1.9 only and does not raise it.
 */
export class UnsupportedByLivekit extends SessionLifecycleError {
  static override readonly code = "unsupported_by_livekit";
}

/** The error classes by code. */
export const ERRORS: Readonly<Record<string, typeof SessionLifecycleError>> = Object.fromEntries(
  [
    PrimaryConflict,
    RecordingRequiresPrimary,
    HostRequiresPrimary,
    ExporterRequiresPrimary,
    ExporterRequiresRecording,
    InvalidTransition,
    ClaimTimeout,
    StartFailedError,
    EffectFailed,
    InvalidInput,
    ScopeClosed,
    ForeignSession,
    UnsupportedByLivekit,
  ].map((cls) => [cls.code, cls]),
);

/** The error of class `code`. */
export function errorFor(code: string, message: string, session: string | null): SessionLifecycleError {
  const cls = ERRORS[code];
  if (cls === undefined) throw new Error(`table names error code ${code}, which this package lacks`);
  return new cls(message, { session });
}
