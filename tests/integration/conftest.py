"""Shared helpers for the integration suites (real Room, AgentSession, JobContext, OTel SDK)."""

from __future__ import annotations

import logging

from livekit.agents import Agent, AgentSession

# an unconnected Room makes the session host's writer log "room session transport is closed"
# after each handoff: expected noise offline, not a failure
logging.getLogger("livekit.agents").setLevel(logging.CRITICAL)


def agent(name: str = "agent") -> Agent:
    return Agent(instructions=f"You are {name}.")


def new_session() -> AgentSession[None]:
    """A real AgentSession with no models: enough for lifecycle, RoomIO and recording."""
    return AgentSession()
