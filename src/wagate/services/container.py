"""The services one running server is made of, composed by :func:`wagate.app.create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from wagate.config import Settings
from wagate.events.hub import EventHub
from wagate.media.storage import MediaStore
from wagate.services.channels import ChannelService
from wagate.services.chats import ChatService
from wagate.services.contacts import ContactService
from wagate.services.groups import GroupService
from wagate.services.labels import LabelService
from wagate.services.lids import LidDirectory
from wagate.services.media import MediaService
from wagate.services.messaging import MessagingService
from wagate.services.sandbox import SandboxControl
from wagate.services.sessions import SessionService
from wagate.services.tokens import TokenService
from wagate.services.webhooks import WebhookService
from wagate.store.database import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    settings: Settings
    database: Database
    tokens: TokenService
    sessions: SessionService
    messaging: MessagingService
    chats: ChatService
    contacts: ContactService
    groups: GroupService
    labels: LabelService
    channels: ChannelService
    media: MediaService
    media_store: MediaStore
    webhooks: WebhookService
    hub: EventHub
    lids: LidDirectory
    sandbox: SandboxControl | None  # None when the sandbox is disabled
