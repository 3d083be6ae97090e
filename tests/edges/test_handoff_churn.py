"""Handoffs under churn: primaries with uploads that hang until released, closed with and
without waiting for the export, in any order. A primary start after the holder's close never
waits for an upload; the invariants hold after every step; once the uploads are let go, every
recording is exported and on its span, and nothing is left after shutdown."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from session_fsm import (
    RecordingExportResult,
    RecordingInfo,
    Role,
    SessionCoordinator,
    SessionState,
)
from session_fsm._adapters import agents
from session_fsm.testing._offline import (
    in_memory_spans,
    offline_job,
    offline_room,
    run_job_shutdown,
)

from ..integration.conftest import agent, new_session, short_recordings

#: every handoff here records and exports; livekit-agents before 1.7 writes no short recording
pytestmark = short_recordings


class Uploads:
    """Every upload waits for `gate`: the test decides when the network is done."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def export(self, info: RecordingInfo) -> RecordingExportResult:
        await self.gate.wait()
        return RecordingExportResult(id=info.session_id)


OPS = st.lists(
    st.one_of(
        st.just(("handoff", False)),  # close the holder, start a new primary at once
        st.just(("handoff", True)),  # the same, but the new start is asked for during the close
        st.just(("close_and_wait", False)),  # release the uploads, close(wait_export=True)
        st.just(("release", False)),
    ),
    max_size=6,
)


async def churn(ops: list[tuple[str, bool]]) -> None:
    spans = in_memory_spans()
    spans.clear()
    with offline_job(offline_room()) as job:
        coord = SessionCoordinator.for_job(job, claim_timeout=5.0)
        uploads = Uploads()
        n = 0

        async def start_primary() -> object:
            nonlocal n
            n += 1
            s = new_session()
            state = await coord.start(
                s, agent(), role=Role.PRIMARY, record=True, exporter=uploads, name=f"p{n}"
            )
            assert state is SessionState.PRIMARY
            return s

        holder = await start_primary()
        recorded = [holder]
        for op, concurrent in ops:
            if op == "handoff":
                if concurrent:
                    # tasks run in order: the close begins, then the start waits for the release
                    closing = asyncio.ensure_future(coord.close(holder))  # type: ignore[arg-type]
                    holder = await asyncio.ensure_future(start_primary())
                    await closing
                else:
                    await coord.close(holder)  # type: ignore[arg-type]
                    holder = await start_primary()
                recorded.append(holder)
                assert agents.job_primary(job) is holder
            elif op == "close_and_wait":
                uploads.gate.set()
                state = await coord.close(holder, wait_export=True)  # type: ignore[arg-type]
                assert state is SessionState.CLOSED
                holder = await start_primary()
                recorded.append(holder)
            else:
                uploads.gate.set()
            assert coord.violations() == []
        uploads.gate.set()
        await run_job_shutdown(job)
        for s in recorded:
            [outcome] = coord.exports(s)  # type: ignore[arg-type]
            assert outcome.error is None
            assert coord.state(s) is SessionState.CLOSED  # type: ignore[arg-type]
        ids = {
            (sp.attributes or {}).get("lk.recording_id")
            for sp in spans.get_finished_spans()
            if sp.name == "agent_session"
        }
        assert {f"p{i}#1" for i in range(1, n + 1)} <= ids
        assert agents.job_primary(job) is None and coord.violations() == []


@settings(max_examples=15, deadline=None)
@given(OPS)
def test_handoffs_never_wait_for_uploads(ops: list[tuple[str, bool]]) -> None:
    asyncio.run(churn(ops))
