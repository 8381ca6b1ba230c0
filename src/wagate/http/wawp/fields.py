"""Parameter types shared by Wawp routes: chat ids, message ids, phone numbers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from wagate.domain.ids import normalize_chat_id, normalize_phone
from wagate.domain.messages import MessageKey
from wagate.http.params import to_str_list


def _one(value: Any) -> Any:
    """Some clients send a single id as a one-element list (``chatId[]=...``)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _key(value: str) -> MessageKey:
    return MessageKey.parse(value.strip())


def _optional_key(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() in ("", "null")):
        return None
    return value


ChatId = Annotated[str, BeforeValidator(_one), AfterValidator(normalize_chat_id)]
Phone = Annotated[str, AfterValidator(normalize_phone)]
MessageId = Annotated[str, BeforeValidator(_one), AfterValidator(lambda v: _key(v).serialized)]
OptionalMessageId = Annotated[MessageId | None, BeforeValidator(_optional_key)]


def message_key(serialized: str) -> MessageKey:
    """A validated ``MessageId`` parameter as a key."""
    return MessageKey.parse(serialized)


ChatIdList = Annotated[list[ChatId], BeforeValidator(to_str_list)]
MessageIdList = Annotated[list[MessageId], BeforeValidator(to_str_list)]
