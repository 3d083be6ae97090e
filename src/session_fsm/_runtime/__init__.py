"""The runtime: feeds the core, runs its effects through the adapters, compensates."""

from .coordinator import SessionCoordinator
from .fanout import ParticipantFanout, ParticipantSession, listen_only

__all__ = ["ParticipantFanout", "ParticipantSession", "SessionCoordinator", "listen_only"]
