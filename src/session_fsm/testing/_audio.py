"""The kit's fake audio device (`ToneInput`): it lives in `session_fsm._offline.audio`, which
ships without the testing extra (the scenario runner records with it); re-exported here."""

from .._offline.audio import ToneInput

__all__ = ["ToneInput"]
