"""whatsmeow's device store in PostgreSQL: the two questions wagate asks of it.

With PostgreSQL one database holds every session's device (whatsmeow keys them by the
full device JID, ``"<phone>:<device>@s.whatsapp.net"``). neonize opens a device only
three ways, and two of them are traps in a shared store:

* with a JID: ``GetDevice``; when that device is gone (logged out from the phone, or
  deleted) the Go side dereferences nil and the **whole worker process dies**;
* with neither a JID nor ``new_device``: ``GetFirstDevice``, i.e. **another session's**
  account;
* ``new_device=True``: a fresh device, to be linked by QR code or pairing code.

So a session resumes by its JID only after :func:`device_exists` said yes, and is
otherwise linked as a new device. :func:`delete_device` removes a device and, through
whatsmeow's ``ON DELETE CASCADE`` keys, its identity, sessions, pre-keys and app state.
"""

from __future__ import annotations

import asyncpg

DEVICE_TABLE = "whatsmeow_device"
CONNECT_TIMEOUT = 10.0


def is_postgres(store: str) -> bool:
    """Is this device store a PostgreSQL DSN (as neonize decides it)?"""
    return store.startswith("postgres")


async def device_exists(dsn: str, jid: str) -> bool:
    """Does the store hold the device ``jid``? ``False`` too before whatsmeow made its
    tables (nothing was ever linked in this database)."""
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    try:
        found = await conn.fetchval(f"SELECT 1 FROM {DEVICE_TABLE} WHERE jid = $1", jid)
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    return found is not None


async def delete_device(dsn: str, jid: str) -> bool:
    """Delete the device ``jid`` and everything whatsmeow keeps for it; ``True`` when
    there was one."""
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    try:
        status = await conn.execute(f"DELETE FROM {DEVICE_TABLE} WHERE jid = $1", jid)
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    return bool(status.endswith(" 1"))


async def count_devices(dsn: str) -> int:
    """How many devices the store holds (0 before whatsmeow made its tables)."""
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {DEVICE_TABLE}"))
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()
