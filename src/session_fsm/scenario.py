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
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import attrs
from livekit.agents import Agent, AgentSession, JobContext
from opentelemetry.sdk.trace import ReadableSpan

from .adapters import agents
from .adapters.exporters import DirectoryExporter, ExporterLike, HttpPutExporter
from .adapters.telemetry import NAME
from .fsm.errors import SessionLifecycleError
from .fsm.states import Role
from .runtime.coordinator import SessionCoordinator
from .runtime.fanout import ParticipantFanout
from .testing.audio import ToneInput
from .testing.checks import span_violations
from .testing.offline import (
    in_memory_spans,
    join,
    leave,
    offline_job,
    offline_room,
    quiet_livekit,
)

SESSION_OPS = ("start", "drain", "close", "promote")
OPS = (*SESSION_OPS, "wait", "concurrent", "per_participant", "join", "leave")
MAX_WAIT = 60.0
TONE_SECONDS = 0.4


class ScenarioError(ValueError):
    """An invalid scenario file: the message names the field."""


@attrs.frozen
class ExporterSpec:
    kind: Literal["directory", "http"]
    target: str

    def build(self) -> ExporterLike:
        if self.kind == "directory":
            return DirectoryExporter(self.target)
        return HttpPutExporter(self.target)


@attrs.frozen
class SessionSpec:
    role: Role = Role.AUTO
    record: bool | None = None
    host: bool | None = None
    exporter: ExporterSpec | None = None


@attrs.frozen
class Step:
    op: str
    session: str | None = None
    seconds: float = 0.0
    participant: str | None = None
    steps: tuple[Step, ...] = ()


@attrs.frozen
class Scenario:
    job: bool
    sessions: dict[str, SessionSpec]
    steps: tuple[Step, ...]
    enable_recording: bool = False


# --------------------------------------------------------------------------- parsing


def _fail(where: str, what: str) -> ScenarioError:
    return ScenarioError(f"{where}: {what}")


def _keys(obj: dict[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _fail(
            f"{where}.{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(allowed))})"
        )


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    """`obj[key]`, which must be a non-empty string."""
    text = obj.get(key)
    if not isinstance(text, str) or not text:
        raise _fail(f"{where}.{key}", "must be a non-empty string")
    return text


def _optional_bool(obj: dict[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise _fail(f"{where}.{key}", f"must be true, false or null, got {value!r}")
    return value


def _exporter(value: object, where: str) -> ExporterSpec | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(where, 'must be an object like {"kind": "directory", "path": ...}')
    kind = value.get("kind")
    if kind not in ("directory", "http"):
        raise _fail(f"{where}.kind", f"must be 'directory' or 'http', got {kind!r}")
    field = "path" if kind == "directory" else "url"
    _keys(value, where, {"kind", field})
    target = _text(value, field, where)
    if kind == "http" and not target.startswith(("http://", "https://")):
        raise _fail(f"{where}.url", f"must be an http(s) URL, got {target!r}")
    return ExporterSpec(kind, target)


def _session_spec(value: object, where: str) -> SessionSpec:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    _keys(value, where, {"role", "record", "host", "exporter"})
    role = value.get("role", "auto")
    if role not in {r.value for r in Role}:
        raise _fail(f"{where}.role", f"must be auto, primary or secondary, got {role!r}")
    return SessionSpec(
        Role(role),
        _optional_bool(value, "record", where),
        _optional_bool(value, "host", where),
        _exporter(value.get("exporter"), f"{where}.exporter"),
    )


def _step(value: object, where: str) -> Step:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object with an 'op'")
    op = value.get("op")
    if op not in OPS:
        raise _fail(f"{where}.op", f"unknown op {op!r} (use {', '.join(OPS)})")
    if op in SESSION_OPS:
        _keys(value, where, {"op", "session"})
        return Step(op, session=_text(value, "session", where))
    if op == "wait":
        _keys(value, where, {"op", "seconds"})
        seconds = value.get("seconds")
        if (
            not isinstance(seconds, int | float)
            or isinstance(seconds, bool)
            or not math.isfinite(seconds)
            or not 0 <= seconds <= MAX_WAIT
        ):
            raise _fail(f"{where}.seconds", f"must be a number from 0 to {MAX_WAIT:g}")
        return Step(op, seconds=float(seconds))
    if op in ("join", "leave"):
        _keys(value, where, {"op", "participant"})
        return Step(op, participant=_text(value, "participant", where))
    if op == "per_participant":
        _keys(value, where, {"op"})
        return Step(op)
    _keys(value, where, {"op", "steps"})
    inner = value.get("steps")
    if not isinstance(inner, list) or not inner:
        raise _fail(f"{where}.steps", "must be a non-empty list of steps")
    return Step(op, steps=tuple(_step(s, f"{where}.steps[{i}]") for i, s in enumerate(inner)))


def parse(document: object) -> Scenario:
    """Validate a scenario document; raises ScenarioError naming the first bad field."""
    if not isinstance(document, dict):
        raise _fail("scenario", "must be a JSON object")
    _keys(document, "scenario", {"job", "enable_recording", "sessions", "steps"})
    job = document.get("job", False)
    if not isinstance(job, bool):
        raise _fail("scenario.job", f"must be true or false, got {job!r}")
    enable = document.get("enable_recording", False)
    if not isinstance(enable, bool):
        raise _fail("scenario.enable_recording", f"must be true or false, got {enable!r}")
    sessions = document.get("sessions", {})
    if not isinstance(sessions, dict):
        raise _fail("scenario.sessions", "must be an object of name -> options")
    specs = {name: _session_spec(v, f"scenario.sessions.{name}") for name, v in sessions.items()}
    steps = document.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _fail("scenario.steps", "must be a non-empty list")
    parsed = tuple(_step(s, f"scenario.steps[{i}]") for i, s in enumerate(steps))
    if not job and any(spec.record for spec in specs.values()):
        raise _fail("scenario.sessions", 'record: true needs "job": true (recording needs a job)')
    return Scenario(job, specs, parsed, enable)


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


def load(path: Path) -> Scenario:
    try:
        text = path.read_text()
    except OSError as error:
        raise _fail("scenario", f"cannot read {path}: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _fail("scenario", f"not JSON ({error.msg} at line {error.lineno})") from None
    return parse(document)


def run_file(path: Path) -> int:
    try:
        scenario = load(path)
    except ScenarioError as error:
        print(f"session-fsm run: invalid scenario: {error}", file=sys.stderr)
        return 2
    quiet_livekit()
    output = asyncio.run(run(scenario, in_memory_spans()))
    print(json.dumps(output, indent=2))
    return 1 if output["violations"] else 0
