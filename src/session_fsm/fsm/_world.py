"""An abstract model of the resources effects act on, for the explorer and the property suites.

The real resources are livekit's (the job's primary designation, the Room's handler table, the
recorder's file, the OTel span and context token). `World` keeps one bit of each per session and
applies effects to it, noting every misuse (a second registration, a span ended twice, an export
before the recording stopped) as a violation. It is an `Observation`, so the same invariants
(`_invariants.py`) check it and the real objects.
"""

from __future__ import annotations

from typing import NamedTuple

import attrs

from . import _effects as fx
from ._events import SessionKey

#: Effects on resources every session shares: declared with the effects (`_effects.SHARED`).
SHARED_EFFECTS = fx.SHARED


#: The sets that only matter while a session closes (`forget_history` empties them for it).
HISTORY = ("stopped", "exported", "spans_ended")


class WorldSnapshot(NamedTuple):
    """The resources as a hashable value (the fields of `World`, frozen)."""

    job_primary: SessionKey | None
    host_owner: SessionKey | None
    folder: SessionKey | None
    recording: frozenset[SessionKey]
    stopped: frozenset[SessionKey]
    exported: frozenset[SessionKey]
    spans_open: frozenset[SessionKey]
    spans_ended: frozenset[SessionKey]
    contexts_attached: frozenset[SessionKey]
    running: frozenset[SessionKey]


@attrs.define(slots=True)
class World:
    has_designation: bool = attrs.field(default=True, init=False)
    can_host: bool = attrs.field(default=True, init=False)
    job_primary: SessionKey | None = None
    host_owner: SessionKey | None = None
    #: Whose folder the job's recording folder points at (None: the job's own).
    folder: SessionKey | None = None
    recording: set[SessionKey] = attrs.Factory(set)
    #: Sessions whose recording stopped and awaits export (or was exported: see `exported`).
    stopped: set[SessionKey] = attrs.Factory(set)
    exported: set[SessionKey] = attrs.Factory(set)
    spans_open: set[SessionKey] = attrs.Factory(set)
    #: Sessions whose span ended (since their last OpenSpan).
    spans_ended: set[SessionKey] = attrs.Factory(set)
    contexts_attached: set[SessionKey] = attrs.Factory(set)
    running: set[SessionKey] = attrs.Factory(set)
    violations: list[str] = attrs.Factory(list)

    def apply(self, effect: fx.Effect) -> None:
        k = effect.session
        kind = type(effect)
        bad = self.violations.append
        if kind is fx.ClaimPrimary:
            if self.job_primary not in (None, k):
                bad(f"{k} claimed the primary while {self.job_primary} held it")
            self.job_primary = k
        elif kind is fx.ReleasePrimary:
            if self.job_primary != k:
                bad(f"{k} released a primary designation held by {self.job_primary}")
            else:
                self.job_primary = None
            if self.folder == k:
                self.folder = None
        elif kind is fx.RegisterHost:
            if self.host_owner is not None:
                bad(f"{k} registered lk.agent.session while {self.host_owner} had it")
            self.host_owner = k
        elif kind is fx.UnregisterHost:
            if self.host_owner != k:
                bad(f"{k} unregistered lk.agent.session owned by {self.host_owner}")
            else:
                self.host_owner = None
        elif kind is fx.StartRecording:
            if k in self.recording:
                bad(f"{k} started a recording twice")
            self.recording.add(k)
            self.stopped.discard(k)
            self.exported.discard(k)
        elif kind is fx.StopRecording:
            if k not in self.recording:
                bad(f"{k} stopped a recording that was not running")
            self.recording.discard(k)
            self.stopped.add(k)
        elif kind is fx.ExportRecording:
            if k not in self.stopped:
                bad(f"{k} exported a recording that was not finalised")
            if k in self.exported:
                bad(f"{k} exported its recording twice")
            self.exported.add(k)
        elif kind is fx.OpenSpan:
            if k in self.spans_open:
                bad(f"{k} opened a second span")
            self.spans_open.add(k)
            self.spans_ended.discard(k)
        elif kind is fx.AnnotateSpan:
            if k not in self.spans_open:
                bad(f"{k} annotated its span after it ended")
        elif kind is fx.EndSpan:
            if k not in self.spans_open:
                bad(f"{k} ended a span that was not open (ended twice?)")
            self.spans_open.discard(k)
            self.spans_ended.add(k)
        elif kind is fx.AttachContext:
            if k in self.contexts_attached:
                bad(f"{k} attached its trace context twice")
            self.contexts_attached.add(k)
        elif kind is fx.DetachContext:
            if k not in self.contexts_attached:
                bad(f"{k} detached a trace context that was not attached")
            self.contexts_attached.discard(k)
        elif kind is fx.StartSession:
            assert isinstance(effect, fx.StartSession)
            if k in self.running:
                bad(f"{k} started while running")
            self.running.add(k)
            if effect.record:
                if self.folder not in (None, k):
                    bad(f"{k} recorded into the folder of {self.folder}")
                self.folder = k
            if effect.designation:  # else livekit's start leaves the designation as it was
                if self.job_primary not in (None, k):
                    bad(f"{k} took the primary designation from {self.job_primary}")
                self.job_primary = k
        elif kind is fx.CloseSession:
            self.running.discard(k)
        elif kind is fx.DrainSession:
            if k not in self.running:
                bad(f"{k} drained while not running")
        else:  # a new effect must say what it does to the resources (WaitForClaim runs nothing)
            raise TypeError(f"World does not model {kind.__name__}: add it to World.apply")

    def forget_history(self, key: SessionKey) -> None:
        """Drop what only mattered while `key` was closing (it is at rest now)."""
        for name in HISTORY:
            getattr(self, name).discard(key)

    def snapshot(self) -> WorldSnapshot:
        return WorldSnapshot(
            self.job_primary,
            self.host_owner,
            self.folder,
            frozenset(self.recording),
            frozenset(self.stopped),
            frozenset(self.exported),
            frozenset(self.spans_open),
            frozenset(self.spans_ended),
            frozenset(self.contexts_attached),
            frozenset(self.running),
        )

    @classmethod
    def from_snapshot(cls, snap: WorldSnapshot) -> World:
        return cls(
            snap.job_primary,
            snap.host_owner,
            snap.folder,
            set(snap.recording),
            set(snap.stopped),
            set(snap.exported),
            set(snap.spans_open),
            set(snap.spans_ended),
            set(snap.contexts_attached),
            set(snap.running),
        )
