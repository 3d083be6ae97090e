"""OpenTelemetry: the session's own trace context, and an `agent_session` span that ends once,
after the recording references are on it.

livekit-agents 1.8.9 attaches the session span's context in the caller's context and never
detaches it, so every span opened later (another session's included) nests under a closed
session. Here each session's `start()` runs in a copy of the caller's context (`new_context`):
the span is parented to the caller's current span, the caller's context is never touched, and the
token is detached in that copy at close. livekit ends the span inside `aclose()`, before anything
found later could be attached; `SessionSpan` holds that end until the core's `EndSpan`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanContext, Status, StatusCode
from opentelemetry.util.types import Attributes, AttributeValue

from .exporters import public_url

ROLE = "lk.session.role"
NAME = "lk.session.name"
RECORDING_URL = "lk.recording_url"
RECORDING_ID = "lk.recording_id"
RECORDING_PATH = "lk.recording_path"
STATE_EVENT = "lk.session.state"


#: In a session's own context (and every task livekit starts from it, its agent's `on_enter`
#: included): the trace context that session was started in.
_STARTED_IN: contextvars.ContextVar[otel_context.Context | None] = contextvars.ContextVar(
    "session_fsm_started_in", default=None
)


def new_context() -> contextvars.Context:
    """A copy of the caller's context for one session's start to run in. Started from another
    session's code (an `Agent.on_enter` that starts a session), the copy is given the trace
    context that other session was started in, so the new span is its sibling, never nested
    under it."""
    ctx = contextvars.copy_context()
    outer = ctx.get(_STARTED_IN)

    def enter() -> None:
        if outer is not None:
            otel_context.attach(outer)  # in this private copy only; never detached, never seen
        _STARTED_IN.set(otel_context.get_current())

    ctx.run(enter)
    return ctx


class SessionSpan(Span):
    """Wraps livekit's `agent_session` span: `end()` from livekit is held; `finish()` ends it."""

    def __init__(self, inner: Span) -> None:
        self.inner = inner
        self.finished = False

    def finish(self) -> bool:
        """End the real span, once. False if it had already ended."""
        if self.finished:
            return False
        self.finished = True
        self.inner.end()
        return True

    # the Span interface, delegated -------------------------------------------------------

    def end(self, end_time: int | None = None) -> None:
        """livekit's close asks here; the core's EndSpan ends the span (`finish`)."""

    def get_span_context(self) -> SpanContext:
        return self.inner.get_span_context()

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        self.inner.set_attributes(attributes)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.inner.set_attribute(key, value)

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        self.inner.add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: Attributes = None) -> None:
        self.inner.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        self.inner.update_name(name)

    def is_recording(self) -> bool:
        return self.inner.is_recording()

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        self.inner.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        self.inner.record_exception(exception, attributes, timestamp, escaped)


def adopt(span: Span, *, key: str, role: str, primary: Span | None) -> SessionSpan:
    """Take charge of a session's span: role, name, and a link to the primary's span."""
    wrapped = span if type(span) is SessionSpan else SessionSpan(span)
    wrapped.set_attributes({ROLE: role, NAME: key})
    if primary is not None:
        wrapped.add_link(primary.get_span_context(), {"lk.link": "primary_session"})
    return wrapped


def record_state(span: Span | None, before: StrEnum | None, after: StrEnum) -> None:
    """A span event per transition; `None` before is a session's first."""
    if span is not None and span.is_recording():
        was = before.value if before is not None else "created"
        span.add_event(STATE_EVENT, {"from": was, "to": after.value})


def record_error(span: Span | None, error: BaseException, where: str) -> None:
    if span is not None and span.is_recording():
        span.record_exception(error, {"lk.effect": where})
        span.set_status(Status(StatusCode.ERROR, f"{where}: {error}"))


def set_role(span: Span | None, role: str) -> None:
    if span is not None and span.is_recording():
        span.set_attribute(ROLE, role)


def link_recording(span: Span | None, references: list[dict[str, Any]]) -> None:
    """Put the exporters' references on the span. A path only when an exporter returned one."""
    if span is None or not span.is_recording():
        return
    urls = [public_url(r["url"]) for r in references if r.get("url")]
    ids = [str(r["id"]) for r in references if r.get("id")]
    paths = [str(r["path"]) for r in references if r.get("path")]
    for attr, values in ((RECORDING_URL, urls), (RECORDING_ID, ids), (RECORDING_PATH, paths)):
        if len(values) == 1:
            span.set_attribute(attr, values[0])
        elif values:
            span.set_attribute(attr, values)
