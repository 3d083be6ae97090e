"""The core's invariants, read off the real objects: the Room's handler table, the job's primary
designation, the recorders, the spans and the trace context tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._adapters import agents
from .._adapters.capabilities import CAPABILITIES
from .._adapters.room import HOST_TOPIC, RoomTopics

if TYPE_CHECKING:
    from .coordinator import SessionCoordinator


class RealObservation:
    """An `invariants.Observation` of one coordinator's real objects."""

    def __init__(self, coord: SessionCoordinator) -> None:
        managed = {key: coord.managed(key) for key in coord.sessions()}
        by_id = {id(m.session): key for key, m in managed.items()}
        #: before livekit-agents 1.3 a job has no designation (the scope's ownership is all)
        self.has_designation = coord.job is not None and CAPABILITIES.primary_designation
        #: before 1.4 nothing hosts: there is no host topic to read the holder's hosting off
        self.can_host = CAPABILITIES.hosting
        self.job_primary: str | None = None
        if coord.job is not None:
            holder = agents.job_primary(coord.job)
            if holder is not None:
                self.job_primary = by_id.get(id(holder), coord.scope.holder or "<foreign>")
        self.host_owner: str | None = None
        topics = RoomTopics.of(coord.room) if coord.room is not None else None
        if topics is not None and topics.registered(HOST_TOPIC):
            self.host_owner = topics.owner(HOST_TOPIC) or "<unmanaged>"
        self.recording = {
            key for key, m in managed.items() if (r := agents.recorder(m.session)) and r.recording
        }
        self.spans_open = {
            key for key, m in managed.items() if m.span is not None and not m.span.finished
        }
        self.contexts_attached = {
            key for key, m in managed.items() if agents.has_trace_token(m.session)
        }
        self.running = {key for key, m in managed.items() if agents.is_running(m.session)}
