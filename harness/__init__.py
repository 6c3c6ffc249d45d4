"""The Django WebSocket compatibility harness (driver side)."""

__version__ = "0.1.0"
