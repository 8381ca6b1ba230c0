"""Regenerate ``bin/``: python tests/payloads/make_bins.py (from the repository root)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from neonize_events import BIN_DIR, events


def main() -> None:
    BIN_DIR.mkdir(exist_ok=True)
    for old in BIN_DIR.glob("*.bin"):
        old.unlink()
    for name, event in events().items():
        path = BIN_DIR / f"{name}.{type(event).__name__}.bin"
        path.write_bytes(event.SerializeToString())  # fails on a missing required field
    print(f"wrote {len(events())} events to {BIN_DIR}")


if __name__ == "__main__":
    main()
