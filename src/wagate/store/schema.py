"""The database tables, as SQLAlchemy Core metadata.

Alembic migrations create the tables; this metadata is what the repositories query
and what ``alembic revision --autogenerate`` compares against. Timestamps are integer
milliseconds since the epoch so that both backends store them identically.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# Deterministic constraint names keep migrations reproducible across backends
# (and are required for batch mode on SQLite to drop constraints by name).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("instance_id", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column(
        "owner_token_id",
        String(32),
        ForeignKey("access_tokens.id"),
        nullable=False,
        index=True,
    ),
    Column("engine", String(32), nullable=False),
    Column("config", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("status_reason", Text, nullable=True),
    # none_as_null: an unlinked session stores SQL NULL, not the JSON text "null".
    Column("me", JSON(none_as_null=True), nullable=True),
    Column("should_run", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("engine", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),  # list of event names
    Column("hmac_key", Text, nullable=True),
    Column("retry_policy", String(16), nullable=False),
    Column("retry_delay_seconds", Integer, nullable=False),
    Column("retry_attempts", Integer, nullable=False),
    Column("custom_headers", JSON, nullable=False),  # list of {"name", "value"}
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# The transactional outbox: each row is one event on its way to one webhook URL. No
# foreign keys, so deliveries outlive a deleted session or webhook.
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(40), nullable=False),
    Column("instance_id", String(12), nullable=False, index=True),
    Column("webhook_id", String(32), nullable=True),  # NULL: the global webhook
    Column("event", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("body", Text, nullable=False),  # the exact JSON text POSTed and signed
    Column("headers", JSON, nullable=False),
    Column("hmac_key", Text, nullable=True),
    Column("retry_policy", String(16), nullable=False),
    Column("retry_delay_seconds", Integer, nullable=False),
    Column("retry_attempts", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_until", BigInteger, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    # Serves the dispatcher's claim (status IN … AND next_attempt_at <= now) and, by
    # its leading column, every lookup by status.
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# Every message a session sent or received, with its latest ack, reactions and star.
# The serialized id (``true_<chatId>_<ID>``) is what clients name a message by.
messages = Table(
    "messages",
    metadata,
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("id", String(255), primary_key=True),
    Column("chat_id", String(128), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("from_me", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),  # seconds, as WhatsApp counts
    Column("sender", String(128), nullable=False),
    Column("recipient", String(128), nullable=False),
    Column("participant", String(128), nullable=True),
    Column("kind", String(24), nullable=False),  # WEBJS type: chat, image, ptt, poll_creation…
    Column("body", Text, nullable=False),
    Column("content", JSON, nullable=True),  # the content without media bytes
    Column("media_id", String(32), nullable=True),  # the file in the media store
    Column("ack", Integer, nullable=False),
    Column("reply_to", String(255), nullable=True),
    Column("mentions", JSON, nullable=False),
    Column("push_name", String(200), nullable=True),
    Column("source", String(8), nullable=False),
    Column("reactions", JSON, nullable=False),  # {sender chat id: emoji}
    Column("starred", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_messages_instance_id_chat_id_timestamp", "instance_id", "chat_id", "timestamp"),
)

lids = Table(
    "lids",
    metadata,
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("lid", String(128), primary_key=True),  # "<digits>@lid"
    Column("phone", String(128), nullable=False),  # "<digits>@c.us"
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_lids_instance_id_phone", "instance_id", "phone"),
)

chats = Table(
    "chats",
    metadata,
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("chat_id", String(128), primary_key=True),
    Column("name", String(200), nullable=True),  # push name or group subject, when known
    Column("timestamp", BigInteger, nullable=False),  # seconds: the last activity
    Column("unread_count", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("marked_unread", Boolean, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_chats_instance_id_timestamp", "instance_id", "timestamp"),
)

labels = Table(
    "labels",
    metadata,
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("id", String(16), primary_key=True),  # WhatsApp's: "1", "2"…
    Column("name", String(100), nullable=False),
    Column("color", Integer, nullable=False),  # index in WhatsApp's palette
    Column("color_hex", String(7), nullable=False),  # "#ff9485"
    Column("updated_at", BigInteger, nullable=False),
)

chat_labels = Table(
    "chat_labels",
    metadata,
    Column("instance_id", String(12), primary_key=True),
    Column("label_id", String(16), primary_key=True),
    Column("chat_id", String(128), primary_key=True),
    ForeignKeyConstraint(
        ["instance_id", "label_id"], ["labels.instance_id", "labels.id"], ondelete="CASCADE"
    ),
    Index("ix_chat_labels_instance_id_chat_id", "instance_id", "chat_id"),
)
