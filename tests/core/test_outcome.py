"""`Scope.step` sorts a step's effects for the runtime, and the core answers the runtime's
questions (is it running, at rest, whom livekit's end-of-job report sees) from the table."""

from __future__ import annotations

from session_fsm.fsm import Close, Closed, OwnershipState, Role, Scope, SessionState, Start, Started
from session_fsm.fsm import _effects as fx


def test_a_release_grants_the_waiter_its_plan_apart_from_the_holders_effects() -> None:
    scope = Scope()
    scope.handle(Start("a"))
    scope.handle(Started("a"))
    scope.handle(Close("a"))
    assert scope.step(Start("b", Role.PRIMARY)).effects == (fx.WaitForClaim("b"),)
    outcome = scope.step(Closed("a"))
    assert outcome.effects == ()
    assert outcome.wait_over == "b"
    assert outcome.grant and all(e.session == "b" for e in outcome.grant)
    assert type(outcome.grant[0]) is fx.ClaimPrimary
    assert outcome.moved == (("a", SessionState.DRAINING, SessionState.CLOSED),)


def test_a_wait_that_ends_without_a_grant_says_so() -> None:
    scope = Scope()
    scope.handle(Start("a"))
    scope.handle(Started("a"))
    scope.handle(Close("a"))
    scope.handle(Start("b"))
    outcome = scope.step(Close("b"))
    assert (outcome.wait_over, outcome.grant) == ("b", ())
    assert outcome.moved == (("b", SessionState.STARTING, SessionState.CLOSED),)


def test_running_at_rest_and_the_report_holder_come_from_the_core() -> None:
    scope = Scope()
    assert scope.at_rest("a") and not scope.is_running("a")
    scope.handle(Start("a"))
    assert not scope.at_rest("a") and not scope.is_running("a")  # starting
    scope.handle(Started("a"))
    assert scope.is_running("a") and scope.report_holder() == "a"  # held
    scope.handle(Close("a"))
    assert not scope.is_running("a")  # its close is under way: livekit's close is ours
    assert scope.awaits_closed("a")
    scope.handle(Closed("a"))
    assert not scope.awaits_closed("a")
    assert scope.at_rest("a") and scope.report_holder() == "a"
    scope.forget("a")
    assert scope.report_holder() is None


def test_a_foreign_designation_is_recorded_while_running_and_cleared_once_stale() -> None:
    scope = Scope()
    assert scope.see_designation("x", running=True) is False
    assert (scope.ownership, scope.holder, scope.foreign) == (OwnershipState.HELD, "x", True)
    assert scope.report_holder() is None  # the report sees the foreign holder
    assert scope.see_designation("x", running=False) is True  # closed, never released: clear it
    assert (scope.ownership, scope.foreign) == (OwnershipState.VACANT, False)
    assert scope.see_designation(None, running=False) is False
