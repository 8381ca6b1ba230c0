"""``/ws`` on a real server: live envelopes, filtered by token, instance and event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from wagate_server import Server

pytestmark = pytest.mark.acceptance


def receive(socket: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=10))
    return message


def test_live_events_for_the_tokens_sessions(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", {})
    server.start()
    try:
        mine = server.wagate("token", "create", "--name", "me").stdout.splitlines()[-1]
        other = server.wagate("token", "create", "--name", "other").stdout.splitlines()[-1]
        ws = server.base_url.replace("http", "ws", 1)
        with (
            connect(f"{ws}/ws?access_token={mine}&events=session.status,message") as socket,
            server.client() as client,
        ):
            client.post("createSession", json={"access_token": other, "name": "not mine"})
            created = client.post("createSession", json={"access_token": mine, "name": "A"})
            ids = {"access_token": mine, "instance_id": created.json()["instance_id"]}
            client.post("sandbox/scan", json={**ids, "phone": "447441429001"})
            client.post("sandbox/message", json={**ids, "from": "15550001111", "message": "live"})
            seen = [receive(socket) for _ in range(4)]
        assert [(e["event"], e["instance_id"]) for e in seen] == [
            ("session.status", ids["instance_id"]),
            ("session.status", ids["instance_id"]),
            ("session.status", ids["instance_id"]),
            ("message", ids["instance_id"]),
        ]
        assert [e["payload"].get("status") for e in seen[:3]] == [
            "STARTING",
            "SCAN_QR_CODE",
            "WORKING",
        ]
        assert seen[3]["payload"]["body"] == "live"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", 4401),
        ("access_token=nope", 4401),
        ("access_token={token}&instance_id=ABCDEFGHIJKL", 4404),
        ("access_token={token}&events=message.sent", 4400),
    ],
)
def test_refused_connections_say_why(tmp_path: Path, query: str, code: int) -> None:
    server = Server(tmp_path / "data", {})
    server.start()
    try:
        token = server.wagate("token", "create", "--name", "me").stdout.splitlines()[-1]
        ws = server.base_url.replace("http", "ws", 1)
        with connect(f"{ws}/ws?{query.format(token=token)}") as socket:
            error = receive(socket)
            assert error["data"]["status"] == code - 4000
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == code
    finally:
        server.stop()
