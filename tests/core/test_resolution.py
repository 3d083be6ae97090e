"""How the core resolves starts, refuses, waits and promotes: what a caller sees."""

from __future__ import annotations

import pytest

from session_fsm.fsm import (
    Close,
    Closed,
    Drain,
    Event,
    OwnershipState,
    Promote,
    Role,
    Scope,
    SessionLifecycleError,
    SessionState,
    Start,
    Started,
    StartFailed,
)
from session_fsm.fsm import _effects as fx


def ownership(scope: Scope) -> tuple[OwnershipState, str | None, str | None]:
    """Read afresh (mypy would keep a narrowing of `scope.ownership` across `handle`)."""
    return scope.ownership, scope.holder, scope.waiter


def run_start(scope: Scope, event: Start) -> tuple[fx.Effect, ...]:
    effects = scope.handle(event)
    scope.handle(Started(event.session))
    return effects


def close(scope: Scope, key: str) -> tuple[fx.Effect, ...]:
    effects = scope.handle(Close(key))
    return effects + scope.handle(Closed(key))


def test_auto_on_a_vacant_scope_claims_and_asks_for_the_primary_effects_in_order() -> None:
    scope = Scope()
    effects = scope.handle(Start("a", record=True, exporter=True))
    assert [type(e) for e in effects] == [
        fx.ClaimPrimary,
        fx.AttachContext,
        fx.StartSession,
        fx.OpenSpan,
        fx.StartRecording,
        fx.RegisterHost,
    ]
    assert effects[2] == fx.StartSession("a", Role.PRIMARY, record=True, host=True)
    assert (scope.ownership, scope.holder) == (OwnershipState.CLAIMED, "a")
    scope.handle(Started("a"))
    assert scope.state("a") is SessionState.PRIMARY
    assert scope.ownership is OwnershipState.HELD


@pytest.mark.parametrize("holder_state", ["claimed", "held"])
def test_auto_beside_a_holder_resolves_to_secondary(holder_state: str) -> None:
    scope = Scope()
    scope.handle(Start("a"))
    if holder_state == "held":
        scope.handle(Started("a"))
    effects = scope.handle(Start("t1"))
    assert effects[1] == fx.StartSession("t1", Role.SECONDARY, record=False, host=False)
    assert not any(isinstance(e, (fx.ClaimPrimary, fx.RegisterHost)) for e in effects)
    scope.handle(Started("t1"))
    assert scope.state("t1") is SessionState.SECONDARY
    assert scope.holder == "a"


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (Start("b", Role.PRIMARY), "primary_conflict"),
        (Start("b", Role.AUTO, record=True), "recording_requires_primary"),
        (Start("b", Role.AUTO, host=True), "host_requires_primary"),
        (Start("b", Role.AUTO, exporter=True), "exporter_requires_primary"),
        (Start("b", Role.SECONDARY, record=True), "recording_requires_primary"),
    ],
)
def test_refusals_name_the_holder_and_leave_state_unchanged(start: Start, code: str) -> None:
    scope = Scope()
    run_start(scope, Start("a"))
    before = scope.snapshot()
    with pytest.raises(SessionLifecycleError) as caught:
        scope.handle(start)
    assert caught.value.code == code
    assert "'b'" in caught.value.message
    if start.role is not Role.SECONDARY:
        assert "'a'" in caught.value.message  # names the holder
    assert scope.snapshot() == before  # not even a record of "b" is left


def test_record_none_on_a_secondary_silently_means_no_recording() -> None:
    scope = Scope(record_default=True)
    run_start(scope, Start("a"))
    effects = scope.handle(Start("t1", record=None))
    assert not any(isinstance(e, fx.StartRecording) for e in effects)


def test_secondary_role_on_a_vacant_scope_never_claims() -> None:
    scope = Scope()
    run_start(scope, Start("t1", Role.SECONDARY))
    assert scope.ownership is OwnershipState.VACANT
    assert scope.state("t1") is SessionState.SECONDARY


def test_exporter_without_recording_is_refused() -> None:
    with pytest.raises(SessionLifecycleError) as caught:
        Scope().handle(Start("a", record=False, exporter=True))
    assert caught.value.code == "exporter_requires_recording"


def test_close_of_a_primary_orders_its_effects_and_vacates_only_on_closed() -> None:
    scope = Scope()
    run_start(scope, Start("a", record=True, exporter=True))
    effects = scope.handle(Close("a"))
    # what the primary shares goes first: the handoff waits for the file, never for the upload
    assert [type(e) for e in effects] == [
        fx.CloseSession,
        fx.UnregisterHost,
        fx.StopRecording,
        fx.DetachContext,
        fx.ReleasePrimary,
    ]
    assert scope.ownership is OwnershipState.RELEASING
    assert scope.handle(Start("b", role=Role.PRIMARY)) == (fx.WaitForClaim("b"),)
    # the first `closed`: the scope goes to the waiter, and the export is asked for
    after = scope.handle(Closed("a"))
    assert [type(e) for e in after if e.session == "a"] == [
        fx.ExportRecording,
        fx.AnnotateSpan,
        fx.EndSpan,
    ]
    assert fx.ClaimPrimary("b") in after
    assert ownership(scope) == (OwnershipState.CLAIMED, "b", None)
    assert scope.state("a") is SessionState.DRAINING
    # the second `closed`: the export ran, its span ended
    assert scope.handle(Closed("a")) == ()
    assert scope.state("a") is SessionState.CLOSED


def test_close_of_a_primary_without_exporters_ends_its_span_before_the_release() -> None:
    scope = Scope()
    run_start(scope, Start("a", record=True))
    effects = scope.handle(Close("a"))
    assert [type(e) for e in effects] == [
        fx.CloseSession,
        fx.UnregisterHost,
        fx.StopRecording,
        fx.EndSpan,
        fx.DetachContext,
        fx.ReleasePrimary,
    ]
    assert scope.handle(Closed("a")) == ()
    assert ownership(scope) == (OwnershipState.VACANT, None, None)
    assert scope.state("a") is SessionState.CLOSED


def test_a_start_waits_on_a_releasing_primary_and_is_granted_in_the_same_step() -> None:
    scope = Scope()
    run_start(scope, Start("a"))
    scope.handle(Close("a"))
    assert scope.handle(Start("b", record=True)) == (fx.WaitForClaim("b"),)
    assert scope.waiter == "b"
    granted = scope.handle(Closed("a"))
    assert granted[0] == fx.ClaimPrimary("b")
    assert fx.StartRecording("b") in granted
    assert ownership(scope) == (OwnershipState.CLAIMED, "b", None)


def test_a_waiting_start_reserves_the_scope_for_later_starts() -> None:
    scope = Scope()
    run_start(scope, Start("a"))
    scope.handle(Close("a"))
    scope.handle(Start("b"))
    effects = scope.handle(Start("c"))  # auto: b has reserved the scope
    assert effects[1] == fx.StartSession("c", Role.SECONDARY, record=False, host=False)
    with pytest.raises(SessionLifecycleError, match="'b' waiting to take over"):
        scope.handle(Start("d", Role.PRIMARY))


def test_record_false_then_record_true_sequential_sessions_both_get_the_primary() -> None:
    scope = Scope()
    run_start(scope, Start("first", record=False))
    scope.handle(Drain("first"))
    close(scope, "first")
    effects = run_start(scope, Start("second", record=True))
    assert fx.ClaimPrimary("second") in effects and fx.StartRecording("second") in effects
    assert scope.holder == "second"


def test_a_failed_start_undoes_exactly_what_completed_and_holds_its_claim_until_closed() -> None:
    scope = Scope()
    scope.handle(Start("a", record=True))
    undo = scope.handle(StartFailed("a", completed=3))  # claim, context, livekit start done
    assert undo == (fx.CloseSession("a"), fx.DetachContext("a"), fx.ReleasePrimary("a"))
    assert scope.ownership is OwnershipState.RELEASING
    assert scope.handle(Start("b")) == (fx.WaitForClaim("b"),)
    assert scope.handle(Closed("a"))[0] == fx.ClaimPrimary("b")
    assert scope.state("a") is SessionState.CLOSED


def test_close_racing_a_start_fires_once_the_start_lands() -> None:
    scope = Scope()
    scope.handle(Start("a"))
    assert scope.handle(Close("a")) == ()
    effects = scope.handle(Started("a"))
    assert effects[0] == fx.CloseSession("a") and effects[-1] == fx.ReleasePrimary("a")
    assert scope.state("a") is SessionState.DRAINING


def test_promotion_of_a_secondary_after_the_primary_leaves() -> None:
    scope = Scope()
    run_start(scope, Start("a"))
    run_start(scope, Start("t1"))
    with pytest.raises(SessionLifecycleError) as caught:
        scope.handle(Promote("t1"))
    assert caught.value.code == "primary_conflict"
    scope.handle(Close("a"))
    assert scope.handle(Promote("t1")) == (fx.WaitForClaim("t1"),)
    granted = scope.handle(Closed("a"))
    assert granted == (fx.ClaimPrimary("t1"), fx.RegisterHost("t1"), fx.AnnotateSpan("t1", "role"))
    scope.handle(Started("t1"))
    assert scope.state("t1") is SessionState.PRIMARY and scope.holder == "t1"


def test_a_failed_promotion_leaves_a_running_secondary() -> None:
    scope = Scope()
    run_start(scope, Start("t1", Role.SECONDARY))
    scope.handle(Promote("t1"))
    assert scope.handle(StartFailed("t1", completed=1)) == (fx.ReleasePrimary("t1"),)
    scope.handle(Closed("t1"))
    assert scope.state("t1") is SessionState.SECONDARY
    assert scope.ownership is OwnershipState.VACANT


@pytest.mark.parametrize("state", ["starting", "primary", "draining"])
def test_start_on_a_running_session_is_a_no_op(state: str) -> None:
    scope = Scope()
    scope.handle(Start("a"))
    if state != "starting":
        scope.handle(Started("a"))
    if state == "draining":
        scope.handle(Drain("a"))
    before = scope.snapshot()
    assert scope.handle(Start("a", Role.PRIMARY)) == ()
    assert scope.snapshot() == before


def test_close_on_a_closed_session_is_a_no_op_and_restart_works() -> None:
    scope = Scope()
    run_start(scope, Start("a"))
    close(scope, "a")
    assert scope.handle(Close("a")) == ()
    run_start(scope, Start("a"))
    assert scope.state("a") is SessionState.PRIMARY


@pytest.mark.parametrize(
    "event",
    [Started("a"), Drain("a"), Closed("a"), Promote("a"), StartFailed("a", 0)],
)
def test_events_a_state_does_not_accept_raise_invalid_transition(event: Event) -> None:
    scope = Scope()
    scope.add("a")
    before = scope.snapshot()
    with pytest.raises(SessionLifecycleError) as caught:
        scope.handle(event)
    assert caught.value.code == "invalid_transition"
    assert "'a'" in caught.value.message and "created" in caught.value.message
    assert scope.snapshot() == before


def test_start_failed_with_an_impossible_count_is_refused() -> None:
    scope = Scope()
    scope.handle(Start("a"))
    with pytest.raises(SessionLifecycleError, match="says 99 effects"):
        scope.handle(StartFailed("a", completed=99))
    assert scope.ownership is OwnershipState.CLAIMED


def test_the_core_is_deterministic() -> None:
    events: list[Event] = [Start("a", record=True), Start("b"), Started("a"), Close("a")]
    runs = []
    for _ in range(2):
        scope, out = Scope(), []
        for event in events:
            out.append(scope.handle(event))
        runs.append((out, scope.snapshot()))
    assert runs[0] == runs[1]


def test_event_values_reject_wrong_types() -> None:
    with pytest.raises(SessionLifecycleError) as caught:
        Start("a", role="boss")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"
    with pytest.raises(SessionLifecycleError) as caught:
        Start(42)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"
