"""A real server process, stopped and killed: sessions come back as they were."""

from __future__ import annotations

import signal
import time
from typing import Any

import httpx
import pytest

from wagate_server import Server

pytestmark = pytest.mark.acceptance


def wait_status(client: httpx.Client, params: dict[str, str], wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        info: dict[str, Any] = client.get("session/info", params=params).json()
        if info["status"] == wanted or time.monotonic() > deadline:
            return info
        time.sleep(0.05)


def test_first_start_prints_the_admin_token_once(server: Server) -> None:
    printed = server.start()
    token_lines = [n for n, line in enumerate(printed) if "admin access token" in line]
    assert token_lines, printed
    admin = printed[token_lines[0] + 1].strip()
    with server.client() as client:
        assert client.get("sessions", params={"access_token": admin}).status_code == 200
    server.stop()

    again = server.start()
    assert not any("admin access token" in line for line in again)
    with server.client() as client:
        assert client.get("sessions", params={"access_token": admin}).status_code == 200


def test_sessions_survive_a_restart_and_a_kill(server: Server) -> None:
    server.start()
    tenant = server.wagate("token", "create", "--name", "acme").stdout.strip().splitlines()[-1]

    with server.client() as client:
        linked = client.post("createSession", json={"access_token": tenant, "name": "A"}).json()
        stopped = client.post("createSession", json={"access_token": tenant, "name": "B"}).json()
        waiting = client.post("createSession", json={"access_token": tenant, "name": "C"}).json()
        ids = {
            name: {"access_token": tenant, "instance_id": session["instance_id"]}
            for name, session in (("A", linked), ("B", stopped), ("C", waiting))
        }
        scanned = client.post("sandbox/scan", json={**ids["A"], "phone": "447441429009"}).json()
        assert scanned["status"] == "WORKING"
        client.post("sandbox/scan", json={**ids["B"], "phone": "447441429010"})
        assert client.post("session/stop", json=ids["B"]).json()["status"] == "STOPPED"
        qr_before = client.get("getQr", params={**ids["C"], "format": "raw"}).json()["value"]

    for how in (signal.SIGTERM, signal.SIGKILL):
        server.stop(how)
        server.start()
        with server.client() as client:
            a = wait_status(client, ids["A"], "WORKING")
            assert a["status"] == "WORKING", how
            assert a["me"] == scanned["me"]
            b = client.get("session/info", params=ids["B"]).json()
            assert b["status"] == "STOPPED", how
            assert b["me"]["id"] == "447441429010@c.us"
            c = wait_status(client, ids["C"], "SCAN_QR_CODE")
            assert c["status"] == "SCAN_QR_CODE", how
            qr_after = client.get("getQr", params={**ids["C"], "format": "raw"}).json()["value"]
            assert qr_after != qr_before  # a new connection shows a new code
            # The stopped session resumes its link when started, without a scan.
            assert client.post("session/start", json=ids["B"]).json()["status"] == "WORKING"
            assert client.post("session/stop", json=ids["B"]).json()["status"] == "STOPPED"
