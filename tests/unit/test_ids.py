"""Instance ids, phone numbers and chat ids as a client sees them."""

from __future__ import annotations

import re

import pytest

from wagate.domain.ids import (
    INSTANCE_ID_LENGTH,
    is_instance_id,
    new_instance_id,
    normalize_phone,
    phone_to_chat_id,
)


def test_new_instance_id_is_twelve_upper_case_letters_or_digits() -> None:
    for _ in range(200):
        value = new_instance_id()
        assert INSTANCE_ID_LENGTH == 12
        assert re.fullmatch(r"[A-Z0-9]{12}", value), value


def test_new_instance_ids_do_not_repeat() -> None:
    ids = {new_instance_id() for _ in range(1000)}
    assert len(ids) == 1000


def test_new_instance_ids_use_both_letters_and_digits() -> None:
    joined = "".join(new_instance_id() for _ in range(200))
    assert any(c.isdigit() for c in joined)
    assert any(c.isalpha() for c in joined)


def test_a_generated_instance_id_is_recognised() -> None:
    assert is_instance_id(new_instance_id())


@pytest.mark.parametrize("value", ["ABCDEFGHIJKL", "0123456789AB", "A1B2C3D4E5F6"])
def test_is_instance_id_accepts_twelve_upper_alphanumerics(value: str) -> None:
    assert is_instance_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ABCDEFGHIJK",  # 11
        "ABCDEFGHIJKLM",  # 13
        "abcdefghijkl",  # lower case
        "ABCDEF-HIJKL",
        "ABCDEF HIJKL",
        "ABCDEFGHIJKL\n",
        " ABCDEFGHIJKL",
        "ÄBCDEFGHIJKL",
    ],
)
def test_is_instance_id_refuses_anything_else(value: str) -> None:
    assert not is_instance_id(value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 7441 429009", "447441429009"),
        ("447441429009", "447441429009"),
        ("+1 (555) 010-0000", "15550100000"),
        ("1.555.010.0000", "15550100000"),
        ("  +447441429009  ", "447441429009"),
        ("1234567", "1234567"),  # 7 digits: the shortest allowed
        ("123456789012345", "123456789012345"),  # 15 digits: the longest allowed
    ],
)
def test_normalize_phone_accepts_international_forms(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "only digits"),
        ("   ", "only digits"),
        ("+", "only digits"),
        ("44 7441 CALLME", "only digits"),
        ("abc", "only digits"),
        ("++447441429009", "only digits"),
        ("+44+7441429009", "only digits"),
        ("07441 429009", "country code"),
        ("00447441429009", "country code"),
        ("+0447441429009", "country code"),
        ("123456", "7 to 15 digits"),  # 6 digits
        ("1234567890123456", "7 to 15 digits"),  # 16 digits
    ],
)
def test_normalize_phone_refuses_with_a_reason(raw: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        normalize_phone(raw)


def test_phone_to_chat_id_is_the_whatsapp_user_address() -> None:
    assert phone_to_chat_id("447441429009") == "447441429009@c.us"


def test_a_normalised_phone_makes_a_chat_id() -> None:
    assert phone_to_chat_id(normalize_phone("+1 (555) 010-0000")) == "15550100000@c.us"
