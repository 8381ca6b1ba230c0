"""`send` throughput and latency between two sandbox sessions, against a bare endpoint.

Both run in the same wagate server process (uvicorn, SQLite): the baseline is a bare
route on that app that returns a message-shaped JSON without doing anything. The load
comes from this process: CONCURRENCY clients posting back to back for DURATION seconds.
Target (issue 3): `send` reaches at least 30 % of the baseline's requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import free_port, percentile, report, spawn, stop

API = "/wp-json/awp/v1"
ADMIN = "bench-admin-token-0000000"
SAMPLE = {
    "id": "true_447441429002@c.us_3EB0000000000000000A",
    "timestamp": 1764000000,
    "from": "447441429001@c.us",
    "fromMe": True,
    "source": "api",
    "to": "447441429002@c.us",
    "body": "hello",
    "ack": 1,
    "ackName": "SERVER",
}


def serve(port: int, data_dir: str) -> None:
    """The child process: wagate plus the bare baseline route, under uvicorn."""
    import uvicorn
    from starlette.responses import Response

    from wagate.app import create_app
    from wagate.config import load_settings

    settings = load_settings(data_dir=data_dir, admin_token=ADMIN, port=port, log_level="WARNING")
    app = create_app(settings, announce=lambda line: None)
    body = json.dumps(SAMPLE).encode()

    @app.post("/bench/baseline")
    async def baseline() -> Response:
        return Response(body, media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def load(
    base: str, path: str, payload: dict[str, str], concurrency: int, seconds: float
) -> tuple[float, list[float]]:
    """Requests/s and latencies (ms) of ``concurrency`` clients for ``seconds``."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(path, json=payload)
                response.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies


async def setup(base: str) -> dict[str, str]:
    """Two linked sandbox sessions; returns the send parameters of A → B."""
    async with httpx.AsyncClient(base_url=base + API, timeout=30) as client:
        ids = []
        for phone in ("447441429001", "447441429002"):
            created = (
                await client.post(
                    "/createSession",
                    json={"access_token": ADMIN, "name": phone, "engine": "sandbox"},
                )
            ).json()
            instance = {"access_token": ADMIN, "instance_id": created["instance_id"]}
            (
                await client.post("/sandbox/scan", json={**instance, "phone": phone})
            ).raise_for_status()
            ids.append(instance)
    return {**ids[0], "chatId": "447441429002@c.us", "message": "hello"}


def figures(rps: float, latencies: list[float]) -> str:
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return f"{rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.data_dir)
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = spawn([__file__, "--serve", str(port), "--data-dir", data_dir], f"{base}/health")
        try:
            params = asyncio.run(setup(base))
            # Warm both paths up, then measure the baseline and send alternately.
            asyncio.run(load(base, "/bench/baseline", {}, args.concurrency, 1))
            asyncio.run(load(base, f"{API}/send", params, args.concurrency, 1))
            base_rps, base_lat = asyncio.run(
                load(base, "/bench/baseline", {}, args.concurrency, args.seconds)
            )
            send_rps, send_lat = asyncio.run(
                load(base, f"{API}/send", params, args.concurrency, args.seconds)
            )
        finally:
            stop(server)
    ratio = send_rps / base_rps
    report(
        f"send between two sandbox sessions ({args.concurrency} clients, {args.seconds:g} s each)",
        [
            (
                "baseline (bare endpoint)",
                figures(base_rps, base_lat),
            ),
            (
                "send",
                figures(send_rps, send_lat),
            ),
            (
                "ratio send / baseline",
                f"{ratio:8.1%}  (target >= 30 %: {'met' if ratio >= 0.3 else 'NOT met'})",
            ),
        ],
    )


if __name__ == "__main__":
    main()
