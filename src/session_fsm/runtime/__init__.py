"""The runtime: feeds the core, runs its effects through the adapters, compensates."""

from .coordinator import SessionCoordinator
from .fanout import ParticipantFanout

__all__ = ["ParticipantFanout", "SessionCoordinator"]
