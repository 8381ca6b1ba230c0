"""Facts about the whatsmeow library neonize ships, for ``wagate doctor``."""

from __future__ import annotations


def library_version() -> str:
    """The version the loaded neonize shared library reports (loads it)."""
    from neonize._binder import gocode

    version = gocode.GetVersion()
    return version.decode() if isinstance(version, bytes) else str(version)
