"""Live fan-out: who gets which envelope, and what happens to a slow subscriber."""

from __future__ import annotations

from typing import Any

from wagate.events.hub import QUEUE_SIZE, EventHub


def envelope(event: str, instance_id: str = "AAAAAAAAAAAA") -> dict[str, Any]:
    return {"event": event, "instance_id": instance_id, "payload": {}}


def test_subscribers_get_only_what_they_asked_for() -> None:
    hub = EventHub()
    with (
        hub.subscribe(owner_token_id="tok_a", instance_id=None, events=frozenset({"*"})) as all_a,
        hub.subscribe(
            owner_token_id="tok_a", instance_id="BBBBBBBBBBBB", events=frozenset({"message"})
        ) as one,
        hub.subscribe(owner_token_id=None, instance_id=None, events=frozenset({"*"})) as admin,
    ):
        hub.publish(envelope("message"), owner_token_id="tok_a")
        hub.publish(envelope("message", "BBBBBBBBBBBB"), owner_token_id="tok_a")
        hub.publish(envelope("session.status", "BBBBBBBBBBBB"), owner_token_id="tok_a")
        hub.publish(envelope("message"), owner_token_id="tok_b")
        assert all_a.queue.qsize() == 3
        assert one.queue.qsize() == 1
        assert admin.queue.qsize() == 4
    assert len(hub) == 0


def test_a_subscriber_that_falls_behind_is_dropped() -> None:
    hub = EventHub()
    with hub.subscribe(owner_token_id=None, instance_id=None, events=frozenset({"*"})) as slow:
        for _ in range(QUEUE_SIZE + 1):
            hub.publish(envelope("message"), owner_token_id="tok_a")
        assert slow.overflowed.is_set()
        assert len(hub) == 0
