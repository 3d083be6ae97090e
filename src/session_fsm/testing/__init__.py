"""Testing kit: property-test your own agent code against the lifecycle's invariants.

- `LifecycleMachine` (`session_fsm.testing._lifecycle`): subclass it to drive your entrypoint
  through random lifecycles, with faults, on the real livekit objects.
- `core_machine`: the same idea on the pure core.
- strategies: `events`, `start_events`, `scenarios`.
- real objects offline: `offline_room`, `offline_job`, `join`, `leave`, `run_job_shutdown`,
  `in_memory_spans`; checks: `real_violations`; cuts: `cancel_at`; faults: `inject`, `Fault`.
- a voice agent's session with offline model providers: `voice_session` (`testing.models`).
- a pytest plugin (registered when this extra is installed): fixtures `offline_room`,
  `offline_job`, `coordinator`, `span_exporter`, `session_scope`.

Needs the `testing` extra (`pip install livekit-session-fsm[testing]`).
"""

from ..pytest_plugin import KIT_NEEDS

try:
    from ._cancel import cancel_at
    from ._checks import real_violations
    from ._core_machine import core_machine
    from ._faults import Fault, inject
    from ._lifecycle import LifecycleMachine
    from ._models import voice_session
    from ._offline import in_memory_spans, join, leave, offline_job, offline_room, run_job_shutdown
    from ._strategies import events, scenarios, start_events
except ModuleNotFoundError as missing:  # say what to install, not only what is missing
    if missing.name not in KIT_NEEDS:
        raise
    raise ModuleNotFoundError(
        f"session_fsm.testing needs {missing.name}, from the testing extra: "
        "pip install 'livekit-session-fsm[testing]'",
        name=missing.name,
    ) from missing

__all__ = [
    "Fault",
    "LifecycleMachine",
    "cancel_at",
    "core_machine",
    "events",
    "in_memory_spans",
    "inject",
    "join",
    "leave",
    "offline_job",
    "offline_room",
    "real_violations",
    "run_job_shutdown",
    "scenarios",
    "start_events",
    "voice_session",
]
