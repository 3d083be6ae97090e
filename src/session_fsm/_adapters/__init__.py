"""Thin adapters, one real component each (rtc Room handlers, AgentSession and JobContext,
RecorderIO, recording exporters, OpenTelemetry): an adapter executes effects; it never decides."""
