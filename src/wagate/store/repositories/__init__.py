"""Repositories: one per table, each a thin async Core layer over the engine."""

from wagate.store.repositories.devices import DeviceRepository
from wagate.store.repositories.sessions import SessionRepository
from wagate.store.repositories.tokens import TokenRepository

__all__ = ["DeviceRepository", "SessionRepository", "TokenRepository"]
