"""LIDs: who is behind the ``@lid`` ids the session has met (Wawp §11)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams

router = WawpRouter(tags=["Contacts"])


class ListLidsParams(InstanceParams):
    limit: int = Field(50, ge=1, le=1000, description="How many pairs at most.")
    offset: int = Field(0, ge=0, description="How many pairs to skip (ordered by lid).")


@router.wawp("/lids", ListLidsParams, methods=["GET"], summary="LIDs mapping")
async def list_lids(call: Call[ListLidsParams]) -> list[dict[str, str]]:
    """The ``{lid, pn}`` pairs the session has learnt from WhatsApp: each hidden
    ``@lid`` id with its phone id (``@c.us``). Every webhook payload that names a person
    uses them too (``from`` + ``fromLid``…)."""
    p = call.params
    return await call.services.lids.list(call.session.instance_id, limit=p.limit, offset=p.offset)


@router.wawp("/lids/count", InstanceParams, methods=["GET"], summary="LIDs count")
async def count_lids(call: Call[InstanceParams]) -> dict[str, Any]:
    """How many ``@lid`` ids the session knows the phone of."""
    return {"count": await call.services.lids.count(call.session.instance_id)}
