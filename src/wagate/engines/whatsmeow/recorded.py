"""neonize events as whatsmeow delivers them, built with neonize's own protobuf classes.

Used by the fake client (:mod:`wagate.engines.whatsmeow.fake`) and by tests
(``tests/payloads``). Shapes follow neonize 0.5.2's Go encoder: MessageInfo.Timestamp in
milliseconds, every JID with all its (proto2-required) fields, receipts in seconds.
"""

from __future__ import annotations

from typing import Any

from wagate.engines.whatsmeow.protos import quiet_neonize_import

with quiet_neonize_import():
    from neonize.proto import Neonize_pb2 as N
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey as KeyProto
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
    from neonize.proto.waHistorySync import WAWebProtobufsHistorySync_pb2 as H
    from neonize.proto.waWeb import WAWebProtobufsWeb_pb2 as W


ME_PHONE = "447700900001"
ME_LID = "100000000000001"
ME_DEVICE = 3  # the device number WhatsApp gave our linked device
CONTACT_PHONE = "447700900123"
CONTACT_LID = "200000000000123"
GROUP = "120363000000000001"
TS = 1_764_000_000  # seconds


def jid(user: str, server: str = "s.whatsapp.net", device: int = 0) -> Any:
    return N.JID(
        User=user,
        RawAgent=0,
        Device=device,
        Integrator=0,
        Server=server,
        IsEmpty=not user and not server,
    )


def empty_jid() -> Any:
    return N.JID(User="", RawAgent=0, Device=0, Integrator=0, Server="", IsEmpty=True)


def source(
    *,
    chat: Any,
    sender: Any,
    from_me: bool = False,
    group: bool = False,
    sender_alt: Any | None = None,
    recipient_alt: Any | None = None,
) -> Any:
    return N.MessageSource(
        Chat=chat,
        Sender=sender,
        IsFromMe=from_me,
        IsGroup=group,
        SenderAlt=sender_alt if sender_alt is not None else empty_jid(),
        RecipientAlt=recipient_alt if recipient_alt is not None else empty_jid(),
        BroadcastListOwner=empty_jid(),
    )


def dm_source(phone: str = CONTACT_PHONE, *, from_me: bool = False) -> Any:
    if from_me:
        return source(chat=jid(phone), sender=jid(ME_PHONE, device=3), from_me=True)
    return source(chat=jid(phone), sender=jid(phone))


def message_event(
    msg: Any,
    *,
    msg_id: str = "3EB0AAAAAAAAAAAAAAA1",
    src: Any | None = None,
    push_name: str = "Alice",
    timestamp: int = TS,
    media_type: str = "",
) -> Any:
    info = N.MessageInfo(
        MessageSource=src if src is not None else dm_source(),
        ID=msg_id,
        ServerID=0,
        Type="media" if media_type else "text",
        Pushname=push_name,
        Timestamp=timestamp * 1000,
        Category="",
        Multicast=False,
        MediaType=media_type,
        Edit="",
    )
    return N.Message(
        Info=info,
        Message=msg,
        Raw=msg,
        IsEphemeral=False,
        IsViewOnce=False,
        IsViewOnceV2=False,
        IsViewOnceV2Extension=False,
        IsDocumentWithCaption=False,
        IsLottieSticker=False,
        IsEdit=False,
        UnavailableRequestID="",
        RetryCount=0,
    )


def text(body: str = "hello", **kw: Any) -> Any:
    return message_event(E.Message(conversation=body), **kw)


def reply(
    body: str, quoted_id: str, quoted_author: str, *, mentions: tuple[str, ...] = (), **kw: Any
) -> Any:
    ctx = E.ContextInfo(
        stanzaID=quoted_id,
        participant=quoted_author,
        quotedMessage=E.Message(conversation="original"),
        mentionedJID=list(mentions),
    )
    return message_event(
        E.Message(extendedTextMessage=E.ExtendedTextMessage(text=body, contextInfo=ctx)), **kw
    )


def _media(**kw: Any) -> dict[str, Any]:
    return {
        "URL": "https://mmg.whatsapp.net/v/t62/fake",
        "directPath": "/v/t62/fake",
        "mediaKey": b"k" * 32,
        "fileSHA256": b"s" * 32,
        "fileEncSHA256": b"e" * 32,
        "mediaKeyTimestamp": TS,
        **kw,
    }


def image(caption: str = "a photo", *, length: int = 4, **kw: Any) -> Any:
    m = E.ImageMessage(
        caption=caption,
        width=640,
        height=480,
        JPEGThumbnail=b"\xff\xd8thumb",
        **_media(mimetype="image/jpeg", fileLength=length),
    )
    return message_event(E.Message(imageMessage=m), media_type="image", **kw)


def video(caption: str = "", *, note: bool = False, **kw: Any) -> Any:
    m = E.VideoMessage(
        caption=caption,
        seconds=7,
        width=480,
        height=480,
        **_media(mimetype="video/mp4", fileLength=1000),
    )
    msg = E.Message(ptvMessage=m) if note else E.Message(videoMessage=m)
    return message_event(msg, media_type="video", **kw)


def audio(*, voice: bool = True, **kw: Any) -> Any:
    m = E.AudioMessage(
        PTT=voice,
        seconds=3,
        waveform=bytes(range(64)),
        **_media(mimetype="audio/ogg; codecs=opus", fileLength=2000),
    )
    return message_event(E.Message(audioMessage=m), media_type="audio", **kw)


def document(**kw: Any) -> Any:
    m = E.DocumentMessage(
        fileName="report.pdf",
        title="report.pdf",
        caption="the report",
        pageCount=2,
        **_media(mimetype="application/pdf", fileLength=3000),
    )
    wrapped = E.Message(
        documentWithCaptionMessage=E.FutureProofMessage(message=E.Message(documentMessage=m))
    )
    return message_event(wrapped, media_type="document", **kw)


def location(**kw: Any) -> Any:
    m = E.LocationMessage(
        degreesLatitude=51.5007, degreesLongitude=-0.1246, name="Big Ben", address="London SW1A 0AA"
    )
    return message_event(E.Message(locationMessage=m), **kw)


VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nTEL;type=CELL;waid=447700900456:+44 7700 900456\nEND:VCARD"
)


def contact(**kw: Any) -> Any:
    return message_event(
        E.Message(contactMessage=E.ContactMessage(displayName="Bob", vcard=VCARD)), **kw
    )


def contacts(**kw: Any) -> Any:
    cards = [
        E.ContactMessage(displayName=n, vcard=VCARD.replace("Bob", n)) for n in ("Bob", "Carol")
    ]
    return message_event(
        E.Message(
            contactsArrayMessage=E.ContactsArrayMessage(displayName="2 contacts", contacts=cards)
        ),
        **kw,
    )


def poll(version: int = 1, *, multiple: bool = True, **kw: Any) -> Any:
    field = {1: "pollCreationMessage", 2: "pollCreationMessageV2", 3: "pollCreationMessageV3"}
    m = E.PollCreationMessage(
        name="Lunch?",
        selectableOptionsCount=0 if multiple else 1,
        options=[E.PollCreationMessage.Option(optionName=o) for o in ("Pizza", "Sushi")],
    )
    msg = E.Message(messageContextInfo=E.MessageContextInfo(messageSecret=b"x" * 32))
    getattr(msg, field[version]).CopyFrom(m)
    return message_event(msg, **kw)


def event_invite(**kw: Any) -> Any:
    m = E.EventMessage(
        name="Launch party",
        description="Bring snacks",
        startTime=TS + 86400,
        endTime=TS + 90000,
        location=E.LocationMessage(name="Office"),
        extraGuestsAllowed=True,
        isCanceled=False,
    )
    return message_event(E.Message(eventMessage=m), **kw)


def reaction(target_id: str, emoji: str = "👍", *, target_from_me: bool = False, **kw: Any) -> Any:
    key = KeyProto(remoteJID=f"{CONTACT_PHONE}@s.whatsapp.net", fromMe=target_from_me, ID=target_id)
    r = E.ReactionMessage(key=key, text=emoji, senderTimestampMS=(TS + 5) * 1000)
    return message_event(E.Message(reactionMessage=r), msg_id="3EB0REACTION000000001", **kw)


def revoke(target_id: str, **kw: Any) -> Any:
    key = KeyProto(remoteJID=f"{CONTACT_PHONE}@s.whatsapp.net", fromMe=True, ID=target_id)
    pm = E.ProtocolMessage(key=key, type=E.ProtocolMessage.REVOKE)
    return message_event(E.Message(protocolMessage=pm), msg_id="3EB0REVOKE00000000001", **kw)


def edit(target_id: str, new_body: str = "edited text", **kw: Any) -> Any:
    key = KeyProto(remoteJID=f"{CONTACT_PHONE}@s.whatsapp.net", fromMe=True, ID=target_id)
    pm = E.ProtocolMessage(
        key=key,
        type=E.ProtocolMessage.MESSAGE_EDIT,
        editedMessage=E.Message(conversation=new_body),
        timestampMS=(TS + 60) * 1000,
    )
    wrapped = E.Message(editedMessage=E.FutureProofMessage(message=E.Message(protocolMessage=pm)))
    return message_event(wrapped, msg_id="3EB0EDIT0000000000001", **kw)


def group_text(body: str = "hi group", **kw: Any) -> Any:
    src = source(
        chat=jid(GROUP, "g.us"),
        sender=jid(CONTACT_LID, "lid"),
        group=True,
        sender_alt=jid(CONTACT_PHONE),
    )
    return text(body, src=src, msg_id="3EB0GROUP000000000001", **kw)


def lid_dm_text(body: str = "via lid", **kw: Any) -> Any:
    src = source(
        chat=jid(CONTACT_LID, "lid"), sender=jid(CONTACT_LID, "lid"), sender_alt=jid(CONTACT_PHONE)
    )
    return text(body, src=src, msg_id="3EB0LID00000000000001", **kw)


def receipt(kind: str, *ids: str, group: bool = False) -> Any:
    chat = jid(GROUP, "g.us") if group else jid(CONTACT_PHONE)
    src = source(chat=chat, sender=jid(CONTACT_PHONE), group=group)
    return N.Receipt(
        MessageSource=src, MessageIDs=list(ids), Timestamp=TS + 10, Type=getattr(N.Receipt, kind)
    )


def presence(*, online: bool = True, last_seen: int = 0) -> Any:
    return N.Presence(From=jid(CONTACT_PHONE), Unavailable=not online, LastSeen=last_seen)


def chat_presence(state: str = "COMPOSING", media: str = "TEXT") -> Any:
    return N.ChatPresence(
        MessageSource=dm_source(),
        State=getattr(N.ChatPresence, state),
        Media=getattr(N.ChatPresence, media),
    )


def qr(*codes: str) -> Any:
    return N.QR(Codes=list(codes or ("2@fakeqr1,abc,def,ghi",)))


def pair_success(phone: str = ME_PHONE, *, device: int = ME_DEVICE) -> Any:
    return N.PairStatus(
        ID=jid(phone, device=device),
        BusinessName="",
        Platform="android",
        Status=N.PairStatus.SUCCESS,
    )


def connected() -> Any:
    return N.Connected(status=True)


def device(
    phone: str = ME_PHONE,
    lid: str = ME_LID,
    push_name: str = "Wagate Test",
    *,
    device: int = ME_DEVICE,
) -> Any:
    return N.Device(
        JID=jid(phone, device=device),
        LID=jid(lid, "lid", device=device),
        Platform="",
        BussinessName="",
        PushName=push_name,
        Initialized=True,
    )


def logged_out(reason: str = "LOGGED_OUT") -> Any:
    return N.LoggedOut(OnConnect=False, Reason=getattr(N, reason))


def stream_replaced() -> Any:
    return N.StreamReplaced()


def temporary_ban() -> Any:
    return N.TemporaryBan(Code=N.TemporaryBan.SEND_TO_TOO_MANY_PEOPLE, Expire=3600)


def connect_failure() -> Any:
    return N.ConnectFailure(
        Reason=N.SERVICE_UNAVAILABLE, Message="service unavailable", Raw=_node("failure")
    )


def client_outdated() -> Any:
    return N.ClientOutdated()


def disconnected() -> Any:
    return N.Disconnected(status=False)


def keepalive_timeout() -> Any:
    return N.KeepAliveTimeout(ErrorCount=3, LastSuccess=TS)


def _node(tag: str, children: tuple[Any, ...] = ()) -> Any:
    return N.Node(Tag=tag, Nodes=list(children), Nil=not children)


def _call_meta() -> Any:
    meta = N.BasicCallMeta(
        timestamp=TS,
        callCreator=jid(CONTACT_LID, "lid"),
        callCreatorAlt=jid(CONTACT_PHONE),
        callID="CALL0001",
    )
    getattr(meta, "from").CopyFrom(jid(CONTACT_LID, "lid"))
    return meta


def _remote_meta() -> Any:
    return N.CallRemoteMeta(remotePlatform="android", remoteVersion="2.25")


def call_offer(*, video: bool = True) -> Any:
    offer = _node("offer", (_node("audio"), _node("video")) if video else (_node("audio"),))
    return N.CallOffer(
        basicCallMeta=_call_meta(),
        callRemoteMeta=N.CallRemoteMeta(remotePlatform="android", remoteVersion="2.25"),
        data=_node("call", (offer,)),
    )


def call_accept() -> Any:
    return N.CallAccept(
        basicCallMeta=_call_meta(),
        callRemoteMeta=_remote_meta(),
        data=_node("call", (_node("accept"),)),
    )


def call_terminate() -> Any:
    return N.CallTerminate(
        basicCallMeta=_call_meta(), reason="timeout", data=_node("call", (_node("terminate"),))
    )


def picture() -> Any:
    """An event wagate has no model for (a contact changed their picture)."""
    return N.Picture(JID=jid(CONTACT_PHONE), Author=jid(CONTACT_PHONE), Timestamp=TS, Remove=False)


# --- groups and channels ---------------------------------------------------------------


def _group_info(subject: str, members: tuple[tuple[str, str, bool], ...]) -> Any:
    """A group's info; ``members`` as (phone, lid, admin)."""
    return N.GroupInfo(
        OwnerJID=jid(CONTACT_LID, "lid"),
        JID=jid(GROUP, "g.us"),
        OwnerPN=jid(CONTACT_PHONE),
        GroupName=N.GroupName(Name=subject, NameSetAt=TS, NameSetBy=jid(CONTACT_PHONE)),
        GroupTopic=N.GroupTopic(
            Topic="Orders and questions",
            TopicID="T1",
            TopicSetAt=TS,
            TopicSetBy=jid(CONTACT_PHONE),
            TopicDeleted=False,
        ),
        GroupLocked=N.GroupLocked(isLocked=False),
        GroupAnnounce=N.GroupAnnounce(IsAnnounce=True, AnnounceVersionID="A1"),
        GroupEphemeral=N.GroupEphemeral(IsEphemeral=False, DisappearingTimer=0),
        GroupIncognito=N.GroupIncognito(IsIncognito=False),
        GroupParent=N.GroupParent(IsParent=False, DefaultMembershipApprovalMode=""),
        GroupLinkedParent=N.GroupLinkedParent(LinkedParentJID=empty_jid()),
        GroupIsDefaultSub=N.GroupIsDefaultSub(IsDefaultSubGroup=False),
        GroupCreated=TS,
        ParticipantVersionID="P1",
        Participants=[
            N.GroupParticipant(
                JID=jid(lid, "lid"),
                LID=jid(lid, "lid"),
                PhoneNumber=jid(phone),
                IsAdmin=admin,
                IsSuperAdmin=False,
                DisplayName="",
                Error=0,
            )
            for phone, lid, admin in members
        ],
    )


def joined_group(subject: str = "Shop team", *, me: str = ME_PHONE) -> Any:
    """We (phone ``me``) were added to a LID-addressed group by the contact, its admin."""
    return N.JoinedGroup(
        Reason="",
        Type="new",
        CreateKey="",
        GroupInfo=_group_info(subject, ((CONTACT_PHONE, CONTACT_LID, True), (me, ME_LID, False))),
        Sender=jid(CONTACT_LID, "lid"),
        SenderPN=jid(CONTACT_PHONE),
    )


def group(subject: str = "Shop team", *, me: str = ME_PHONE, me_lid: str = ME_LID) -> Any:
    """The group as ``GetGroupInfo`` answers: the contact (its admin) and us (``me``)."""
    return _group_info(subject, ((CONTACT_PHONE, CONTACT_LID, True), (me, me_lid, False)))


def group_participant(
    member: Any, *, admin: bool = False, superadmin: bool = False, error: int = 0
) -> Any:
    """A group member as whatsmeow parses one (``member`` a phone or ``lid`` JID), with
    the other id empty, as in an answer that names one only."""
    lid = member.Server == "lid"
    return N.GroupParticipant(
        JID=member,
        LID=member if lid else empty_jid(),
        PhoneNumber=empty_jid() if lid else member,
        IsAdmin=admin or superadmin,
        IsSuperAdmin=superadmin,
        DisplayName="",
        Error=error,
    )


def group_info(**kw: Any) -> Any:
    """A change in the group: ``join``/``leave``/``promote``/``demote`` lists of phones,
    ``subject``, ``description``, ``announce``; made by the contact."""
    changes: dict[str, Any] = {
        key.capitalize(): [jid(phone) for phone in kw[key]]
        for key in ("join", "leave", "promote", "demote")
        if key in kw
    }
    if "subject" in kw:
        changes["Name"] = N.GroupName(
            Name=kw["subject"], NameSetAt=TS, NameSetBy=jid(CONTACT_PHONE)
        )
    if "description" in kw:
        changes["Topic"] = N.GroupTopic(
            Topic=kw["description"],
            TopicID="T2",
            TopicSetAt=TS,
            TopicSetBy=jid(CONTACT_PHONE),
            TopicDeleted=False,
        )
    if "announce" in kw:
        changes["Announce"] = N.GroupAnnounce(IsAnnounce=kw["announce"], AnnounceVersionID="A2")
    return N.GroupInfoEvent(
        JID=jid(GROUP, "g.us"),
        Notify="",
        Sender=jid(kw.get("by", CONTACT_PHONE)),
        Timestamp=TS,
        PrevParticipantsVersionID="P1",
        ParticipantVersionID="P2",
        JoinReason="",
        **changes,
    )


CHANNEL = "120363999999999999"


def channel_post(body: str = "news of the day", **kw: Any) -> Any:
    """A post in a channel (newsletter) the account follows."""
    kw.setdefault("src", source(chat=jid(CHANNEL, "newsletter"), sender=jid(CHANNEL, "newsletter")))
    kw.setdefault("push_name", "")
    return message_event(E.Message(conversation=body), **kw)


def channel_left() -> Any:
    return N.NewsletterLeave(ID=jid(CHANNEL, "newsletter"), Role=N.NewsletterRole.SUBSCRIBER)


CHANNEL_INVITE = "0029VaFakeNewsInvite0001"


def _newsletter_text(text: str, text_id: str) -> Any:
    return N.NewsletterText(Text=text, ID=text_id, UpdateTime=TS)


def channel_picture(path: str) -> Any:
    """A channel picture as WhatsApp names it: a CDN path, no URL (``""``: none)."""
    kind, picture_id = ("IMAGE", "1700000001") if path else ("", "")
    return N.ProfilePictureInfo(URL="", ID=picture_id, Type=kind, DirectPath=path)


def channel_metadata(
    user: str = CHANNEL,
    name: str = "Fake News",
    *,
    description: str = "The news of the fake network",
    invite: str = CHANNEL_INVITE,
    role: str | None = "SUBSCRIBER",
    muted: bool = False,
    subscribers: int = 1200,
    verified: bool = True,
    picture: str | None = "/v/t61.24694-24/fake-news.jpg",
    created: int = TS - 86400,
) -> Any:
    """A channel as ``GetNewsletterInfo`` answers; ``role=None`` as by invite code (no
    viewer metadata)."""
    verification = N.NewsletterThreadMetadata
    thread = N.NewsletterThreadMetadata(
        CreationTime=created,
        InviteCode=invite,
        Name=_newsletter_text(name, "N1"),
        Description=_newsletter_text(description, "D1"),
        SubscriberCount=subscribers,
        VerificationState=verification.VERIFIED if verified else verification.UNVERIFIED,
        Preview=channel_picture((picture or "").replace(".jpg", "-preview.jpg")),
        Settings=N.NewsletterSetting(
            ReactionCodes=N.NewsletterReactionSettings(Value=N.NewsletterReactionSettings.ALL)
        ),
    )
    if picture:
        thread.Picture.CopyFrom(channel_picture(picture))
    meta = N.NewsletterMetadata(
        ID=jid(user, "newsletter"),
        State=N.WrappedNewsletterState(Type=N.WrappedNewsletterState.ACTIVE),
        ThreadMeta=thread,
    )
    if role is not None:
        mute = N.NewsletterMuteState.ON if muted else N.NewsletterMuteState.OFF
        meta.ViewerMeta.CopyFrom(
            N.NewsletterViewerMetadata(Mute=mute, Role=getattr(N.NewsletterRole, role))
        )
    return meta


def channel_message(server_id: int, msg: Any, *, views: int = 0, **reactions: int) -> Any:
    """A post as ``GetNewsletterMessages`` answers: neonize keeps the server id, the views,
    the reactions (``thumbs_up=3`` → 👍) and the message, nothing else."""
    emoji = {"thumbs_up": "👍", "heart": "❤️"}
    return N.NewsletterMessage(
        MessageServerID=server_id,
        ViewsCount=views,
        ReactionCounts=[N.Reaction(type=emoji[k], count=n) for k, n in reactions.items()],
        Message=msg,
    )


def history_sync(
    texts: tuple[str, ...] | list[str] = ("hi", "hello back"),
    *,
    phone: str = CONTACT_PHONE,
    first_id: int = 1,
) -> Any:
    """A history chunk with one chat: ``texts`` alternate between the contact and us."""
    messages = [
        H.HistorySyncMsg(
            message=W.WebMessageInfo(
                key=KeyProto(
                    remoteJID=f"{phone}@s.whatsapp.net",
                    fromMe=n % 2 == 1,
                    ID=f"3EB0HIST{first_id + n:012d}",
                ),
                message=E.Message(conversation=body),
                messageTimestamp=TS - 3600 + n,
                status=W.WebMessageInfo.Status.READ,
                pushName="Alice" if n % 2 == 0 else "",
            ),
            msgOrderID=n,
        )
        for n, body in enumerate(texts)
    ]
    chat = H.Conversation(ID=f"{phone}@s.whatsapp.net", messages=messages)
    return N.HistorySync(
        Data=H.HistorySync(syncType=H.HistorySync.HistorySyncType.RECENT, conversations=[chat])
    )
