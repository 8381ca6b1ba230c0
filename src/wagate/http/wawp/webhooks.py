"""Webhooks and their delivery log (wagate's own routes; Wawp keeps these in a dashboard)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from wagate.domain.events import EVENT_NAMES
from wagate.domain.urls import check_webhook_url
from wagate.domain.webhooks import Delivery, DeliveryStatus, RetryConfig, RetryPolicy, Webhook
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams, json_text, to_str_list
from wagate.services.webhooks import WebhookSpec

router = WawpRouter(tags=["Webhooks"])

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_RESERVED_HEADERS = {"content-type", "content-length", "host", "transfer-encoding", "connection"}


def _events(value: list[str]) -> list[str]:
    names = [name.strip() for item in value for name in item.split(",") if name.strip()]
    unknown = [name for name in names if name != "*" and name not in EVENT_NAMES]
    if not names:
        raise ValueError("name at least one event, or *")
    if unknown:
        raise ValueError(f"unknown events {', '.join(unknown)}; known: *, {', '.join(EVENT_NAMES)}")
    return list(dict.fromkeys(names))


WebhookUrl = Annotated[str, AfterValidator(check_webhook_url)]
EventList = Annotated[
    list[str], BeforeValidator(to_str_list), Field(max_length=50), AfterValidator(_events)
]


class RetriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: RetryPolicy = Field(RetryPolicy.CONSTANT, description="constant, linear, exponential")
    delaySeconds: int = Field(2, ge=0, le=3600)
    attempts: int = Field(15, ge=1, le=100, description="Attempts in all, the first included.")

    def config(self) -> RetryConfig:
        return RetryConfig(
            policy=self.policy, delay_seconds=self.delaySeconds, attempts=self.attempts
        )


class HeaderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    value: str = Field(max_length=4096)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _HEADER_NAME.fullmatch(value):
            raise ValueError("not a valid HTTP header name")
        lowered = value.lower()
        if lowered in _RESERVED_HEADERS or lowered.startswith("x-webhook-"):
            raise ValueError(f"{value} is set by wagate itself")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("a header value is one line")
        return value


class HmacIn(BaseModel):
    key: str | None = Field(None, min_length=1, max_length=1024)


class WebhookFields(BaseModel):
    """A webhook as Wawp/WAHA clients describe it."""

    url: WebhookUrl = Field(description="http:// or https:// URL that receives the POSTs.")
    events: EventList = Field(
        default_factory=lambda: ["*"], description="Events to send (`*`: all of them)."
    )
    hmac: Annotated[HmacIn | None, BeforeValidator(json_text)] = Field(
        None, description="`{key}`: sign every delivery (HMAC-SHA512, X-Webhook-Hmac)."
    )
    hmac_key: str | None = Field(
        None, min_length=1, max_length=1024, description="Same as `hmac.key`."
    )
    retries: Annotated[RetriesIn, BeforeValidator(json_text)] = Field(
        default_factory=RetriesIn, description="`{policy, delaySeconds, attempts}`."
    )
    customHeaders: Annotated[list[HeaderIn], BeforeValidator(json_text)] = Field(
        default_factory=list, max_length=20, description="`[{name, value}]` sent with each POST."
    )

    def spec(self) -> WebhookSpec:
        return WebhookSpec(
            url=self.url,
            events=tuple(self.events),
            hmac_key=self.hmac_key or (self.hmac.key if self.hmac else None),
            retries=self.retries.config(),
            custom_headers=tuple((h.name, h.value) for h in self.customHeaders),
        )


class WebhookIn(WebhookFields):
    """One entry of ``createSession``'s ``config.webhooks``."""

    model_config = ConfigDict(extra="forbid")


class CreateWebhookParams(InstanceParams, WebhookFields):
    pass


class UpdateWebhookParams(InstanceParams):
    webhook_id: str = Field(description="The webhook's id (`wh_...`), in the path.")
    url: WebhookUrl | None = None
    events: EventList | None = None
    hmac: Annotated[HmacIn | None, BeforeValidator(json_text)] = None
    hmac_key: str | None = Field(None, max_length=1024, description='`""` removes the key.')
    retries: Annotated[RetriesIn | None, BeforeValidator(json_text)] = None
    customHeaders: Annotated[list[HeaderIn] | None, BeforeValidator(json_text)] = None


class WebhookIdParams(InstanceParams):
    webhook_id: str = Field(description="The webhook's id (`wh_...`), in the path.")


class DeliveriesParams(InstanceParams):
    status: DeliveryStatus | None = Field(None, description="pending, delivering, delivered, dead")
    event: str | None = Field(None, description="Only this event.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class DeliveryIdParams(InstanceParams):
    delivery_id: str = Field(description="The delivery's id (`dlv_...`), in the path.")


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": list(webhook.events),
        "hmacConfigured": webhook.hmac_key is not None,
        "retries": {
            "policy": webhook.retries.policy.value,
            "delaySeconds": webhook.retries.delay_seconds,
            "attempts": webhook.retries.attempts,
        },
        "customHeaders": [{"name": n, "value": v} for n, v in webhook.custom_headers],
        "createdAt": webhook.created_at,
        "updatedAt": webhook.updated_at,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "eventId": delivery.event_id,
        "event": delivery.event,
        "webhookId": delivery.webhook_id,
        "url": delivery.url,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "maxAttempts": delivery.retries.attempts,
        "nextAttemptAt": delivery.next_attempt_at,
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "createdAt": delivery.created_at,
        "deliveredAt": delivery.delivered_at,
        "envelope": json.loads(delivery.body),
    }


@router.wawp("/webhooks", CreateWebhookParams, methods=["POST"], summary="Add a webhook")
async def create_webhook(call: Call[CreateWebhookParams]) -> dict[str, Any]:
    """Send this session's events to a URL, durably (retries, dead letters, replay)."""
    webhook = await call.services.webhooks.create(call.session.instance_id, call.params.spec())
    return webhook_json(webhook)


@router.wawp("/webhooks", InstanceParams, methods=["GET"], summary="List webhooks")
async def list_webhooks(call: Call[InstanceParams]) -> list[dict[str, Any]]:
    """The session's webhooks (the server-wide one from the settings is not listed)."""
    return [webhook_json(w) for w in await call.services.webhooks.list(call.session.instance_id)]


@router.wawp("/webhooks/deliveries", DeliveriesParams, methods=["GET"], summary="Delivery log")
async def list_deliveries(call: Call[DeliveriesParams]) -> list[dict[str, Any]]:
    """Deliveries of this session's events, newest first, with their outcome."""
    p = call.params
    found = await call.services.webhooks.deliveries(
        call.session.instance_id, status=p.status, event=p.event, limit=p.limit, offset=p.offset
    )
    return [delivery_json(d) for d in found]


@router.wawp(
    "/webhooks/deliveries/replay",
    InstanceParams,
    methods=["POST"],
    summary="Replay every dead delivery",
)
async def replay_dead(call: Call[InstanceParams]) -> dict[str, Any]:
    """Send every dead delivery of the session again, from its first attempt."""
    return {"replayed": await call.services.webhooks.replay_dead(call.session.instance_id)}


@router.wawp(
    "/webhooks/deliveries/{delivery_id}/replay",
    DeliveryIdParams,
    methods=["POST"],
    summary="Replay one delivery",
)
async def replay_one(call: Call[DeliveryIdParams]) -> dict[str, Any]:
    """Send a dead (or delivered) delivery again, from its first attempt."""
    delivery = await call.services.webhooks.replay(
        call.session.instance_id, call.params.delivery_id
    )
    return delivery_json(delivery)


@router.wawp("/webhooks/{webhook_id}", WebhookIdParams, methods=["GET"], summary="Get a webhook")
async def get_webhook(call: Call[WebhookIdParams]) -> dict[str, Any]:
    """One webhook of the session."""
    return webhook_json(
        await call.services.webhooks.get(call.session.instance_id, call.params.webhook_id)
    )


@router.wawp(
    "/webhooks/{webhook_id}", UpdateWebhookParams, methods=["PUT"], summary="Change a webhook"
)
async def update_webhook(call: Call[UpdateWebhookParams]) -> dict[str, Any]:
    """Change the given fields; the others stay as they are."""
    p = call.params
    current = await call.services.webhooks.get(call.session.instance_id, p.webhook_id)
    hmac_key = current.hmac_key
    if "hmac_key" in p.model_fields_set:
        hmac_key = p.hmac_key or None
    elif "hmac" in p.model_fields_set:
        hmac_key = p.hmac.key if p.hmac else None
    spec = WebhookSpec(
        url=p.url or current.url,
        events=tuple(p.events) if p.events is not None else current.events,
        hmac_key=hmac_key,
        retries=p.retries.config() if p.retries is not None else current.retries,
        custom_headers=(
            tuple((h.name, h.value) for h in p.customHeaders)
            if p.customHeaders is not None
            else current.custom_headers
        ),
    )
    webhook = await call.services.webhooks.replace(call.session.instance_id, p.webhook_id, spec)
    return webhook_json(webhook)


@router.wawp(
    "/webhooks/{webhook_id}", WebhookIdParams, methods=["DELETE"], summary="Remove a webhook"
)
async def delete_webhook(call: Call[WebhookIdParams]) -> dict[str, Any]:
    """Stop sending events to this webhook (pending deliveries are still sent)."""
    await call.services.webhooks.delete(call.session.instance_id, call.params.webhook_id)
    return {"id": call.params.webhook_id, "deleted": True}
