"""The server as a real process, a real webhook receiver: nothing is lost, ever."""

from __future__ import annotations

import signal
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from wagate_receiver import Receiver, ThreadedReceiver, wait_until
from wagate_server import Server

pytestmark = pytest.mark.acceptance

KEY = "global-hook-key"


def start_server(tmp_path: Path, receiver: Receiver) -> Server:
    server = Server(
        tmp_path / "data",
        {"WAGATE_WEBHOOK_URL": receiver.url, "WAGATE_WEBHOOK_HMAC_KEY": KEY},
    )
    server.start()
    return server


def linked(client: httpx.Client, token: str, phone: str) -> dict[str, str]:
    session = client.post("createSession", json={"access_token": token, "name": phone}).json()
    ids = {"access_token": token, "instance_id": session["instance_id"]}
    assert client.post("sandbox/scan", json={**ids, "phone": phone}).json()["status"] == "WORKING"
    return ids


def find(receiver: Receiver, instance_id: str, event: str, **payload: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in receiver.envelopes()
        if e["instance_id"] == instance_id
        and e["event"] == event
        and all(e["payload"].get(k) == v for k, v in payload.items())
    ]


def test_two_sessions_talk_and_every_event_arrives_signed(tmp_path: Path) -> None:
    with ThreadedReceiver() as receiver:
        server = start_server(tmp_path, receiver)
        try:
            token = server.wagate("token", "create", "--name", "t").stdout.splitlines()[-1]
            with server.client() as client:
                a = linked(client, token, "447441429001")
                b = linked(client, token, "447441429002")
                sent = client.post(
                    "send", json={**a, "chatId": "447441429002", "message": "ping"}
                ).json()
                wait_until(lambda: find(receiver, b["instance_id"], "message", body="ping"))
                incoming = find(receiver, b["instance_id"], "message", body="ping")[0]["payload"]
                seen = client.post(
                    "sendSeen",
                    json={**b, "chatId": "447441429001@c.us", "messageIds": [incoming["id"]]},
                )
                assert seen.status_code == 200
                reaction = {**b, "messageId": incoming["id"], "reaction": "🎉"}
                assert client.put("reaction", json=reaction).status_code == 200
                typing = {**b, "chatId": "447441429001@c.us"}
                assert client.post("startTyping", json=typing).status_code == 200

                acks = lambda: {  # noqa: E731
                    e["payload"]["ackName"]
                    for e in find(receiver, a["instance_id"], "message.ack", id=sent["id"])
                }
                wait_until(lambda: acks() == {"SERVER", "DEVICE", "READ"})
                wait_until(lambda: find(receiver, a["instance_id"], "message.reaction"))
                wait_until(lambda: find(receiver, a["instance_id"], "presence.update"))
                assert find(receiver, a["instance_id"], "message.any", id=sent["id"])
                assert find(receiver, b["instance_id"], "message.any", body="ping")
                assert find(receiver, a["instance_id"], "session.status", status="WORKING")
        finally:
            server.stop()
        for request in receiver.requests:
            assert receiver.signature_ok(request, KEY)


def test_a_receiver_that_is_down_gets_everything_when_it_recovers(tmp_path: Path) -> None:
    with ThreadedReceiver() as receiver:
        server = start_server(tmp_path, receiver)
        try:
            token = server.wagate("token", "create", "--name", "t").stdout.splitlines()[-1]
            with server.client() as client:
                ids = linked(client, token, "447441429001")
                receiver.down = True
                bodies = [f"m{n}" for n in range(20)]
                for body in bodies:
                    message = {**ids, "from": "15550001111", "message": body}
                    assert client.post("sandbox/message", json=message).status_code == 200
                wait_until(lambda: len(receiver.requests) >= 20)
                receiver.down = False
                wait_until(
                    lambda: (
                        {
                            e["payload"]["body"]
                            for e in find(receiver, ids["instance_id"], "message")
                        }
                        == set(bodies)
                    )
                )
        finally:
            server.stop()


def test_nothing_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    with ThreadedReceiver() as receiver:
        server = start_server(tmp_path, receiver)
        try:
            token = server.wagate("token", "create", "--name", "t").stdout.splitlines()[-1]
            with server.client() as client:
                ids = linked(client, token, "447441429001")
                receiver.down = True
                sent_ids = []
                for n in range(150):  # 300 events: message and message.any for each
                    message = {**ids, "from": "15550001111", "message": f"k{n}"}
                    sent_ids.append(client.post("sandbox/message", json=message).json()["id"])
            # The receiver recovers, slowly: deliveries are in flight when the server dies.
            receiver.delay_seconds = 0.5
            before = len(receiver.requests)
            receiver.down = False
            wait_until(lambda: len(receiver.requests) >= before + 20)
            server.stop(signal.SIGKILL)
            receiver.delay_seconds = 0
            server.start()
            wanted = set(sent_ids)
            wait_until(
                lambda: (
                    wanted
                    <= {e["payload"]["id"] for e in find(receiver, ids["instance_id"], "message")}
                ),
                seconds=60,
            )
        finally:
            server.stop()
        # A duplicate is always the same event: same request id, same bytes.
        by_request: dict[str, set[bytes]] = defaultdict(set)
        for request in receiver.requests:
            by_request[request.headers["x-webhook-request-id"]].add(request.body)
        assert all(len(bodies) == 1 for bodies in by_request.values())
