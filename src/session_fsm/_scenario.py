"""`session-fsm run SCENARIO.json`: replay a lifecycle against real livekit objects.

A real unconnected `rtc.Room`, real `AgentSession`s (no models needed; recorded sessions get a
generated tone as audio input), a real offline `JobContext` when `"job": true`, and the real
OpenTelemetry SDK. The output is one JSON document: each step's result, the final state read off
the real objects, and the invariants those objects break (`violations`).

Exit status: 0 the scenario ran (step errors are results), 1 violations, 2 invalid scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

from livekit.agents import Agent, AgentSession, JobContext
from opentelemetry.sdk.trace import ReadableSpan

from ._adapters import agents
from ._adapters.telemetry import NAME
from ._offline import (
    ToneInput,
    in_memory_spans,
    join,
    leave,
    offline_job,
    offline_room,
    span_violations,
)
from ._runtime.coordinator import SessionCoordinator
from ._runtime.fanout import ParticipantFanout
from ._scenario_input import Scenario, ScenarioError, SessionSpec, Step, load, parse
from .fsm.errors import SessionLifecycleError

__all__ = ["Runner", "Scenario", "ScenarioError", "load", "parse", "run", "run_and_report"]

TONE_SECONDS = 0.4


# --------------------------------------------------------------------------- running


class Runner:
    def __init__(self, scenario: Scenario, coord: SessionCoordinator, job: JobContext | None):
        self.scenario, self.coord, self.job = scenario, coord, job
        self.sessions: dict[str, AgentSession[None]] = {}
        self.tones: dict[str, ToneInput] = {}
        self.fanout: ParticipantFanout | None = None
        self.results: list[dict[str, Any]] = []

    def _session(self, name: str) -> AgentSession[None]:
        if name not in self.sessions:
            self.sessions[name] = AgentSession()
        return self.sessions[name]

    def snapshot(self) -> dict[str, Any]:
        room = self.coord.room
        assert room is not None
        holder = self.coord.scope.holder
        return {
            "ownership": {"state": self.coord.ownership.value, "holder": holder},
            "room_byte_stream_topics": agents.byte_stream_topics(room),
            "room_text_stream_topics": agents.text_stream_topics(room),
        }

    async def run(self) -> None:
        for step in self.scenario.steps:
            await self._run(step, group=None)

    async def _run(self, step: Step, group: int | None) -> None:
        if step.op == "concurrent":
            number = sum(1 for r in self.results if r.get("concurrent") is not None) + 1
            slots = [self._reserve(s, number) for s in step.steps]
            await asyncio.gather(
                *(self._leaf(s, slot) for s, slot in zip(step.steps, slots, strict=True))
            )
            return
        await self._leaf(step, self._reserve(step, group))

    def _reserve(self, step: Step, group: int | None) -> dict[str, Any]:
        """Results are listed in the order steps are written, concurrent ones included."""
        result: dict[str, Any] = {"index": len(self.results), "op": step.op}
        if step.session is not None:
            result["session"] = step.session
        if step.participant is not None:
            result["participant"] = step.participant
        if group is not None:
            result["concurrent"] = group
        self.results.append(result)
        return result

    async def _leaf(self, step: Step, result: dict[str, Any]) -> None:
        try:
            await self._do(step)
        except SessionLifecycleError as error:
            result.update(ok=False, error=error.to_dict())
        except Exception as error:  # reported, not raised: the scenario goes on
            result.update(
                ok=False, error={"code": "error", "message": f"{type(error).__name__}: {error}"}
            )
        else:
            result["ok"] = True
        if step.session is not None and step.session in self.sessions:
            session = self.sessions[step.session]
            if self.coord.manages(session):
                result["state"] = self.coord.state(session).value
        result.update(self.snapshot())

    async def _do(self, step: Step) -> None:
        room = self.coord.room
        assert room is not None
        if step.op == "wait":
            await asyncio.sleep(step.seconds)
        elif step.op == "per_participant":
            self.fanout = self.coord.per_participant(
                lambda p: (AgentSession(), Agent(instructions=f"Transcribe {p.identity}."))
            )
            await self.fanout.settle()
        elif step.op == "join":
            assert step.participant is not None
            join(room, step.participant)
            if self.fanout is not None:
                await self.fanout.settle()
        elif step.op == "leave":
            assert step.participant is not None
            leave(room, step.participant)
            if self.fanout is not None:
                await self.fanout.settle()
        else:
            assert step.session is not None
            await self._session_op(step.op, step.session)

    async def _session_op(self, op: str, name: str) -> None:
        session = self._session(name)
        if op == "start":
            spec = self.scenario.sessions.get(name, SessionSpec())
            if spec.record and name not in self.tones:
                self.tones[name] = session.input.audio = ToneInput(seconds=TONE_SECONDS)
            await self.coord.start(
                session,
                Agent(instructions=f"You are {name}."),
                role=spec.role,
                record=spec.record,
                host=spec.host,
                exporter=spec.exporter.build() if spec.exporter else None,
                name=name,
            )
        elif op == "close":
            tone = self.tones.get(name)
            if tone is not None and self.coord.manages(session):
                # let the tone reach the recorder, so the recording holds real audio
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(tone.done.wait(), 2.0)
            # a scenario's report is deterministic: a step ends with the session's export
            await self.coord.close(session, wait_export=True)
        elif op == "drain":
            await self.coord.drain(session)
        else:
            await self.coord.promote(session)

    def final(self, spans: list[ReadableSpan]) -> dict[str, Any]:
        names = {id(m): k for k, m in self.coord.sessions().items()}
        job_primary = None
        if self.job is not None:
            holder = agents.job_primary(self.job)
            if holder is not None:
                job_primary = names.get(id(holder), "<foreign>")
        recordings = []
        for key in self.coord.sessions():
            m = self.coord.managed(key)
            for rec in m.recordings:
                batch = [o.to_dict() for o in m.exports.get(rec.path, [])]
                recordings.append(
                    {"session": key, "path": str(rec.path), "bytes": rec.bytes, "exports": batch}
                )
        return {
            "sessions": {k: self.coord.state(s).value for k, s in self.coord.sessions().items()},
            **self.snapshot(),
            "job_primary": job_primary,
            "spans": span_report(spans, self.coord),
            "recordings": recordings,
        }


def span_report(spans: list[ReadableSpan], coord: SessionCoordinator) -> list[dict[str, Any]]:
    report = []
    for span in spans:
        if span.name != "agent_session":
            continue
        attributes = {k: v for k, v in (span.attributes or {}).items() if k.startswith("lk.")}
        report.append(
            {
                "name": span.name,
                "session": attributes.get(NAME),
                "ended": span.end_time is not None,
                "attributes": {
                    k: list(v) if isinstance(v, tuple) else v for k, v in attributes.items()
                },
                "events": [e.name for e in span.events],
            }
        )
    for key in coord.sessions():
        m = coord.managed(key)
        if m.span is not None and not m.span.finished:
            report.append(
                {
                    "name": "agent_session",
                    "session": key,
                    "ended": False,
                    "attributes": {},
                    "events": [],
                }
            )
    return report


@contextlib.contextmanager
def _maybe_job(scenario: Scenario, room: Any) -> Iterator[JobContext | None]:
    if not scenario.job:
        yield None
        return
    with offline_job(room, enable_recording=scenario.enable_recording) as job:
        yield job


async def run(scenario: Scenario, exporter: Any) -> dict[str, Any]:
    """Run the scenario; `exporter` is an InMemorySpanExporter installed for livekit's tracer."""
    exporter.clear()
    room = offline_room()
    with _maybe_job(scenario, room) as job:
        coord = SessionCoordinator(job=job) if job is not None else SessionCoordinator(room=room)
        runner = Runner(scenario, coord, job)
        await runner.run()
        spans = list(exporter.get_finished_spans())
        violations = coord.violations() + span_violations(spans)
        output = {"steps": runner.results, "final": runner.final(spans), "violations": violations}
        if runner.fanout is not None:
            await runner.fanout.aclose()
        await coord.aclose()
    return output


def run_and_report(scenario: Scenario) -> int:
    """`session-fsm run`: run a validated scenario, print its JSON, return the exit status."""
    output = asyncio.run(run(scenario, in_memory_spans()))
    print(json.dumps(output, indent=2))
    return 1 if output["violations"] else 0
