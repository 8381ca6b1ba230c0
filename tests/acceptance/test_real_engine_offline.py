"""The real whatsmeow engine on a machine that cannot reach WhatsApp: a clear FAILED
status with the reason, no hang, no crash, and the server keeps serving."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from wagate_server import Server

pytestmark = pytest.mark.acceptance


def test_offline_whatsmeow_session_fails_clearly(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", {"WAGATE_ALLOW_REAL_ENGINE": "1"})
    server.start()
    try:
        token = server.wagate("token", "create", "--name", "t").stdout.splitlines()[-1]
        with server.client() as client:
            online = _reachable()
            created = client.post(
                "createSession", json={"access_token": token, "name": "real", "engine": "whatsmeow"}
            ).json()
            ids = {"access_token": token, "instance_id": created["instance_id"]}
            info = _wait(client, ids, {"FAILED", "SCAN_QR_CODE"})
            if online:
                pytest.skip("this machine reaches WhatsApp: it got a QR code instead")
            assert info["status"] == "FAILED", info
            assert "Could not reach WhatsApp's servers" in info["reason"]
            # The rest of the server is unaffected.
            sandbox = client.post(
                "createSession", json={"access_token": token, "name": "s", "engine": "sandbox"}
            )
            assert sandbox.json()["status"] == "SCAN_QR_CODE"
            assert httpx.get(f"{server.base_url}/health").status_code == 200
    finally:
        server.stop()


def _wait(client: httpx.Client, ids: dict[str, str], wanted: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        info: dict[str, Any] = client.get("session/info", params=ids).json()
        if info["status"] in wanted or time.monotonic() > deadline:
            return info
        time.sleep(0.2)


def _reachable() -> bool:
    try:
        httpx.get("https://web.whatsapp.com", timeout=3)
    except httpx.HTTPError:
        return False
    return True
