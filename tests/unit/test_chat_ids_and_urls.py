"""Chat ids, message ids and webhook URLs as clients send them."""

from __future__ import annotations

import pytest

from wagate.domain.ids import normalize_chat_id
from wagate.domain.messages import MessageKey
from wagate.domain.urls import check_webhook_url


@pytest.mark.parametrize(
    ("raw", "chat_id"),
    [
        ("+44 7441 429009", "447441429009@c.us"),
        ("447441429009", "447441429009@c.us"),
        ("447441429009@c.us", "447441429009@c.us"),
        ("447441429009@s.whatsapp.net", "447441429009@c.us"),
        ("447441429009@C.US", "447441429009@c.us"),
        ("120363012345678901@g.us", "120363012345678901@g.us"),
        ("447441429009-1600000000@g.us", "447441429009-1600000000@g.us"),
        ("123456789012345@lid", "123456789012345@lid"),
        ("120363000000000000@newsletter", "120363000000000000@newsletter"),
        ("status@broadcast", "status@broadcast"),
        ("  447441429009@c.us ", "447441429009@c.us"),
    ],
)
def test_chat_ids_are_normalised(raw: str, chat_id: str) -> None:
    assert normalize_chat_id(raw) == chat_id


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "abc@c.us", "447441429009@example.com", "@c.us", "12@g.us", "0044 7441@c.us"],
)
def test_bad_chat_ids_say_why(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        normalize_chat_id(raw)


def test_message_keys_round_trip() -> None:
    key = MessageKey.parse("true_447441429009@c.us_3EB0ABCDEF0123456789")
    assert (key.chat_id, key.id, key.from_me) == ("447441429009@c.us", "3EB0ABCDEF0123456789", True)
    assert key.serialized == "true_447441429009@c.us_3EB0ABCDEF0123456789"
    group = MessageKey.parse("false_447441429009-1600000000@g.us_ABC")
    assert (group.chat_id, group.from_me) == ("447441429009-1600000000@g.us", False)


@pytest.mark.parametrize(
    "raw", ["", "3EB0", "yes_447441429009@c.us_X", "true_447441429009@c.us", "true__X", "true_x_"]
)
def test_bad_message_ids_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="true_<chatId>_<ID>"):
        MessageKey.parse(raw)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/hook", "https://example.com/a?b=c", "http://[::1]:8080/x"],
)
def test_webhook_urls_accepted(url: str) -> None:
    assert check_webhook_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com", "http"),
        ("example.com/hook", "http"),
        ("http://", "host"),
        ("http://example.com:99999/", "valid URL"),
        ("http://example.com:0/", "port 0"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com/" + "a" * 2048, "2048"),
    ],
)
def test_webhook_urls_refused(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_webhook_url(url)
