"""Reading a `session-fsm run` scenario file: bytes to a validated `Scenario`, or a one-line
`ScenarioError` naming the field and what is wrong with it.

The file is untrusted input. It is read with a size limit, must be UTF-8, and is parsed with
JSON's own rules kept strict where Python's `json` is lenient: no `NaN`/`Infinity`, no number
too large to be one, no key given twice (the last would silently replace the first, steps
included), no nesting deeper than a scenario has. The document is then checked against the JSON
Schema shipped beside this module (`scenario.schema.json`, also the format's reference; see
docs/scenarios.md), and last against what the schema cannot say (totals, recording needs a job).

Importing this module imports no livekit: a bad file is refused before the seconds livekit takes
to import.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .fsm._states import Role
from .fsm.errors import InvalidInput

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from ._adapters.exporters import ExporterLike

MAX_BYTES = 1 << 20  # a thousand steps take about 50 KiB
MAX_DEPTH = 16  # a scenario nests 6 deep at most (steps, concurrent, steps, step, ...)
MAX_STEPS = 1000  # all steps, those inside concurrent steps included
MAX_TOTAL_WAIT = 300.0  # seconds of `wait` steps, all together
MAX_INT_DIGITS = 20


class ScenarioError(InvalidInput):
    """An invalid scenario file: the message names the field."""


@attrs.frozen
class ExporterSpec:
    kind: Literal["directory", "http"]
    target: str

    def build(self) -> ExporterLike:
        from ._adapters.exporters import DirectoryExporter, HttpPutExporter

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


# --------------------------------------------------------------------------- reading


def load(path: Path) -> Scenario:
    """Read, decode, parse and validate a scenario file."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise ScenarioError(f"scenario: cannot read {path}: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(f"scenario: larger than {MAX_BYTES >> 20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"scenario: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    return parse(decode(text))


def decode(text: str) -> object:
    """JSON text to a document, refusing what Python's `json` would let through."""
    try:
        document = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"scenario: not JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise ScenarioError(f"scenario: nested deeper than {MAX_DEPTH} levels") from None
    _check_depth(document)
    return document


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ScenarioError(f"scenario: the key {_show(key)} appears twice in one object")
        document[key] = value
    return document


def _no_constant(name: str) -> float:
    raise ScenarioError(f"scenario: {name} is not a JSON number (use a finite number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ScenarioError(f"scenario: the number {text[:40]} is too large")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ScenarioError(f"scenario: an integer of {len(text)} digits is too large")
    return int(text)


def _check_depth(document: object) -> None:
    pending: list[tuple[object, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(f"scenario: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            pending.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            pending.extend((v, depth + 1) for v in value)


# --------------------------------------------------------------------------- validating


@cache
def schema() -> dict[str, Any]:
    """The scenario format's JSON Schema (package data: `session_fsm/scenario.schema.json`)."""
    text = resources.files(__package__).joinpath("scenario.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(document: object) -> None:
    """Raise ScenarioError for the most relevant way `document` breaks the schema."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema()).iter_errors(document))
    if error is not None:
        raise ScenarioError(_describe(error))


def _where(path: Iterator[str | int] | Any, field: str | None = None) -> str:
    where = "scenario"
    for part in [*path, *([] if field is None else [field])]:
        where += f"[{part}]" if isinstance(part, int) else _key(part)
    return where


def _key(name: str) -> str:
    """`.name`, or `["a key\nlike this"]` (quoted, escaped, cut short): a message stays one
    short line whatever the file's keys are."""
    if name.isidentifier() and len(name) <= 64:
        return f".{name}"
    return f"[{_show(name)}]"


_TYPES = {"object": "an object", "array": "a list", "string": "a string", "number": "a number"}


def _describe(error: ValidationError) -> str:
    """One line: the field's path, then what it must be (and what it was)."""
    kind = error.validator
    value: Any = error.instance
    rule: Any = error.validator_value
    sub: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    path = error.absolute_path
    if "propertyNames" in error.absolute_schema_path:
        return f"{_where(path)}: the key {_show(value)} is not {sub.get('description', 'allowed')}"
    if kind == "required":
        missing = next(k for k in rule if k not in value)
        return f"{_where(path, missing)}: missing (required here)"
    if kind == "additionalProperties":
        allowed = sorted(sub.get("properties", {}))
        unknown = sorted(set(value) - set(allowed))[0]
        return f"{_where(path, unknown)}: unknown field (allowed: {', '.join(allowed)})"
    if kind == "type":
        types = [rule] if isinstance(rule, str) else list(rule)
        if set(types) <= {"boolean", "null"}:
            want = "true, false or null" if "null" in types else "true or false"
        else:
            want = " or ".join(_TYPES.get(t, t) for t in types)
        return f"{_where(path)}: must be {want}, got {_show(value)}"
    if kind == "enum" and path and path[-1] == "op":
        return f"{_where(path)}: unknown op {_show(value)} (use {', '.join(rule)})"
    if kind == "enum":
        return f"{_where(path)}: must be one of {', '.join(rule)}, got {_show(value)}"
    if kind in ("minimum", "maximum"):
        return (
            f"{_where(path)}: must be a number from {sub.get('minimum')} "
            f"to {sub.get('maximum')}, got {_show(value)}"
        )
    if kind == "minItems":
        return f"{_where(path)}: must be a non-empty list"
    if kind == "maxItems":
        return f"{_where(path)}: more than {rule} items"
    if kind == "maxProperties":
        return f"{_where(path)}: more than {rule} entries"
    if kind == "minLength":
        return f"{_where(path)}: must be a non-empty string"
    if kind == "maxLength":
        return f"{_where(path)}: longer than {rule} characters"
    if kind in ("pattern", "not") and "description" in sub:
        return f"{_where(path)}: must be {sub['description']}, got {_show(value)}"
    return f"{_where(path)}: {_show(error.message)[1:-1]}"


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- building


def parse(document: object) -> Scenario:
    """Validate a scenario document; raises ScenarioError naming the first bad field."""
    validate(document)
    assert isinstance(document, dict)
    job: bool = document.get("job", False)
    sessions = {
        name: _session_spec(options) for name, options in document.get("sessions", {}).items()
    }
    steps = tuple(_step(s) for s in document["steps"])
    flat = [s for step in steps for s in (step, *step.steps)]
    if len(flat) > MAX_STEPS:
        raise ScenarioError(f"scenario.steps: more than {MAX_STEPS} steps in all")
    if sum(s.op == "per_participant" for s in flat) > 1:
        raise ScenarioError(
            "scenario.steps: per_participant appears more than once (the runner keeps one "
            "fan-out: a second would start a second transcriber per participant)"
        )
    waited = sum(s.seconds for s in flat)
    if waited > MAX_TOTAL_WAIT:
        raise ScenarioError(
            f"scenario.steps: waits add up to {waited:g} s (at most {MAX_TOTAL_WAIT:g})"
        )
    if not job and any(spec.record for spec in sessions.values()):
        raise ScenarioError(
            'scenario.sessions: record: true needs "job": true (recording needs a job)'
        )
    return Scenario(job, sessions, steps, document.get("enable_recording", False))


def _session_spec(options: dict[str, Any]) -> SessionSpec:
    exporter = options.get("exporter")
    return SessionSpec(
        Role(options.get("role", "auto")),
        options.get("record"),
        options.get("host"),
        None
        if exporter is None
        else ExporterSpec(exporter["kind"], exporter.get("path") or exporter["url"]),
    )


def _step(value: dict[str, Any]) -> Step:
    return Step(
        value["op"],
        session=value.get("session"),
        seconds=float(value.get("seconds", 0.0)),
        participant=value.get("participant"),
        steps=tuple(_step(s) for s in value.get("steps", ())),
    )
