"""The JSON of Wawp responses is the product's contract: pin it."""

from __future__ import annotations

from typing import Any

from syrupy.assertion import SnapshotAssertion

from wagate_testing import Api


def stable(value: Any, instance_id: str) -> Any:
    """The response with the random instance id replaced by a placeholder."""
    if isinstance(value, dict):
        return {k: stable(v, instance_id) for k, v in value.items()}
    if isinstance(value, list):
        return [stable(v, instance_id) for v in value]
    if value == instance_id:
        return "<instance_id>"
    return value


async def test_session_responses(api: Api, snapshot: SnapshotAssertion) -> None:
    created = await api.new_session(name="Shop", config={"metadata": {"crm": "42"}})
    instance_id = created["instance_id"]
    ids = {"access_token": api.tenant, "instance_id": instance_id}
    linked = await api.ok("POST", "sandbox/scan", phone="447441429009", **ids)
    me = await api.ok("GET", "session/me", **ids)
    stopped = await api.ok("POST", "session/stop", **ids)
    deleted = await api.ok("DELETE", "session/delete", **ids)

    responses = {
        "createSession": created,
        "sandbox/scan": linked,
        "session/me": me,
        "session/stop": stopped,
        "session/delete": deleted,
    }
    assert stable(responses, instance_id) == snapshot


async def test_error_envelopes(api: Api, snapshot: SnapshotAssertion) -> None:
    session = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    answers = {
        "no token": await api.call("GET", "session/info", instance_id="ABCDEFGHIJKL"),
        "unknown instance": await api.call(
            "GET", "session/info", access_token=api.tenant, instance_id="ABCDEFGHIJKL"
        ),
        "missing param": await api.call("POST", "requestCode", **ids),
        "bad phone": await api.call("POST", "requestCode", phone_number="12", **ids),
        "wrong status": await api.call("GET", "session/me", **ids),
        "no route": await api.call("GET", "nope"),
    }
    assert {
        name: (response.status_code, stable(response.json(), session["instance_id"]))
        for name, response in answers.items()
    } == snapshot
