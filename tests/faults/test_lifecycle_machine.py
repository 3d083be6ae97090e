"""Random lifecycles with random faults against the real objects (the kit, dogfooded)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from session_fsm.testing._lifecycle import LifecycleMachine

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class Plain(LifecycleMachine):
    pass


class Faulty(LifecycleMachine):
    with_faults = True
    with_participants = True


class RoomOnly(LifecycleMachine):
    with_job = False
    with_faults = True


TestPlain = Plain.TestCase
TestPlain.settings = SETTINGS
TestFaulty = Faulty.TestCase
TestFaulty.settings = SETTINGS
TestRoomOnly = RoomOnly.TestCase
TestRoomOnly.settings = SETTINGS
