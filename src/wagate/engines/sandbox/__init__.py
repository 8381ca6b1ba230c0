"""The sandbox engine: an in-process simulated WhatsApp network for tests and demos."""

from wagate.engines.sandbox.engine import SandboxEngine
from wagate.engines.sandbox.network import SandboxNetwork, VirtualPhone
from wagate.engines.sandbox.session import SandboxSession

__all__ = ["SandboxEngine", "SandboxNetwork", "SandboxSession", "VirtualPhone"]
