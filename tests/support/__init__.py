"""Small helpers for tests (importable, unlike conftest)."""

from services.localstack.ports import free_port, free_ports

__all__ = ["free_port", "free_ports"]
