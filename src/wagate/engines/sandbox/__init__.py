"""The sandbox engine: an in-process simulated WhatsApp network for tests and demos."""

from wagate.engines.sandbox.engine import SandboxEngine, SandboxSession
from wagate.engines.sandbox.network import SandboxNetwork, VirtualPhone

__all__ = ["SandboxEngine", "SandboxNetwork", "SandboxSession", "VirtualPhone"]
