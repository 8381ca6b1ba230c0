"""A minimal webhook receiver for the benchmarks: counts POSTs, measures their delay.

Each body may carry ``"t"`` (the sender's clock, in ms); the receiver records
``now - t``. ``GET /stats`` returns the count and the delays; ``POST /reset`` clears them.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

State = dict[str, Any]


def make_app() -> Any:
    state: State = {"count": 0, "delays": []}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope["path"]
        payload = b"{}"
        if path == "/hook":
            state["count"] += 1
            try:
                sent = json.loads(body).get("payload", {}).get("t")
            except ValueError:
                sent = None
            if isinstance(sent, (int, float)):
                state["delays"].append(time.time() * 1000 - sent)
        elif path == "/stats":
            payload = json.dumps(state).encode()
        elif path == "/reset":
            state["count"] = 0
            state["delays"] = []
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(
        make_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False
    )
