"""Labels (WhatsApp Business): named, coloured tags on chats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# WhatsApp Business's 20 label colours, by palette index.
PALETTE = (
    "#ff9485", "#64c4ff", "#ffd429", "#dfaef0", "#99b6c1",
    "#55ccb3", "#ff9dff", "#d3a91d", "#6d7cce", "#d7e752",
    "#00d0e2", "#ffc5c7", "#93ceac", "#f74848", "#00a0f2",
    "#83e422", "#ffaf04", "#b5ebff", "#9ba6ff", "#9368cf",
)  # fmt: skip


def color_of(hex_color: str) -> int:
    """The palette index nearest to ``#rrggbb``."""
    target = _rgb(hex_color)
    return min(
        range(len(PALETTE)),
        key=lambda i: sum((a - b) ** 2 for a, b in zip(_rgb(PALETTE[i]), target, strict=True)),
    )


def _rgb(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.removeprefix("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    id: str  # WhatsApp's: "1", "2"…
    name: str
    color: int  # index in PALETTE
    color_hex: str  # "#ff9485"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "color": self.color, "colorHex": self.color_hex}
