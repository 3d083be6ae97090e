"""The edges suite uses the integration suite's helpers (real sessions, a local object store)."""

from __future__ import annotations

from tests.integration.conftest import object_store

__all__ = ["object_store"]
