"""The schema. Every table is here; migrations in `store/migrations` create them.

Directory rows are never deleted: a roster re-import deactivates them (`active = False`) so the items,
events and logs that point at them keep their history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


def _json(**kw: Any) -> Any:
    return Field(default_factory=kw.pop("default_factory", list), sa_column=Column(JSON, nullable=False), **kw)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- directory -----------------------------------------------------------------------------------------


class Meta(SQLModel, table=True):
    """Key/value facts about the installation (organization name, roster file digest, ...)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_type=Text)


class Person(SQLModel, table=True):
    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320, unique=True)  # stored lower-case
    slack_id: str | None = Field(default=None, max_length=32, unique=True)
    active: bool = True
    away_until: date | None = None
    tz: str | None = Field(default=None, max_length=64)  # Slack's users.info `tz`; None: not known yet
    tz_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when Slack was last asked
    quiet_until: date | None = None  # set on the Home tab (holiday, leave): away until then, no pushes either
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Team(SQLModel, table=True):
    """A coaching support team: a 2017 cadre or a 2020 implementation-zone team."""

    __tablename__ = "team"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    zone: str | None = Field(default=None, max_length=50)
    region: str | None = Field(default=None, max_length=50)
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class TeamMembership(SQLModel, table=True):
    __tablename__ = "team_membership"
    __table_args__ = (UniqueConstraint("team_id", "person_id", name="uq_team_membership"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # "facilitator" | "member"
    expertise: list[str] = _json()
    fte: float = 0.0
    fte_available: float | None = None
    home_center: str | None = Field(default=None, max_length=200)
    fit: float | None = None  # supervisor-reported fit, 0..1
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class District(SQLModel, table=True):
    __tablename__ = "district"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    zone: str | None = Field(default=None, max_length=50)
    region: str | None = Field(default=None, max_length=50)
    center: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class DistrictStaff(SQLModel, table=True):
    __tablename__ = "district_staff"
    __table_args__ = (UniqueConstraint("district_id", "person_id", name="uq_district_staff"),)
    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class PersonRole(SQLModel, table=True):
    """Network-wide roles: lead facilitator, management team, state trainer-match contact, bot admin."""

    __tablename__ = "person_role"
    __table_args__ = (UniqueConstraint("person_id", "role", name="uq_person_role"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # "lead" | "management" | "state_contact" | "admin"
    expertise: list[str] = _json()
    fte: float = 0.0
    home_center: str | None = Field(default=None, max_length=200)
    position: int = 0  # order in the roster file (the first lead is asked first)
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SupportMember(SQLModel, table=True):
    """The support team (roster `support_team:`): on no team, a trainer candidate for every team's requests."""

    __tablename__ = "support_member"
    __table_args__ = (UniqueConstraint("person_id", name="uq_support_member"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    expertise: list[str] = _json()
    fte: float = 0.0
    fte_available: float | None = None
    home_center: str | None = Field(default=None, max_length=200)
    position: int = 0
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ContactTrainer(SQLModel, table=True):
    """A trainer a state contact can assign (roster `state_contacts[].trainers`), besides themselves."""

    __tablename__ = "contact_trainer"
    __table_args__ = (UniqueConstraint("contact_id", "trainer_id", name="uq_contact_trainer"),)
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="person.id", index=True)
    trainer_id: int = Field(foreign_key="person.id")
    position: int = 0
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class AudienceMember(SQLModel, table=True):
    """Someone an audience of the summaries is made of (roster `audiences:`): an RPDC director of a center, ..."""

    __tablename__ = "audience_member"
    id: int | None = Field(default=None, primary_key=True)
    audience: str = Field(max_length=40)  # routing.protocol.AUDIENCE_KEYS
    person_id: int = Field(foreign_key="person.id", index=True)
    center: str | None = Field(default=None, max_length=200)
    position: int = 0
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Channel(SQLModel, table=True):
    """Channels the bot posts to by purpose (monthly summaries, management minutes, ...)."""

    __tablename__ = "channel"
    __table_args__ = (UniqueConstraint("purpose", "channel_id", name="uq_channel_purpose"),)
    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=50)
    channel_id: str = Field(max_length=32)
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


# --- routed items --------------------------------------------------------------------------------------


class Item(SQLModel, table=True):
    """A question, district request, update or training request travelling along the protocol."""

    __tablename__ = "item"
    __table_args__ = (
        Index("ix_item_open_deadline", "status", "deadline_at"),
        Index("ix_item_created_at", "created_at"),  # a month's requests (the CST update's figures)
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # question | district | training | update
    status: str = Field(max_length=20, index=True)  # open | answered | matched | withdrawn | closed ...
    protocol_version: str = Field(max_length=50)
    asker_id: int = Field(foreign_key="person.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    district_id: int | None = Field(default=None, foreign_key="district.id")
    tier: str | None = Field(default=None, max_length=50)  # current tier or matching stage
    text: str = Field(sa_type=Text)
    topics: list[str] = _json()
    urgency: str = Field(default="normal", max_length=20)
    # The routing engine's own state (stage, candidates asked, offers ...), opaque to the store.
    state: dict[str, Any] = _json(default_factory=dict)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Where the item came from (a forwarded DM: channel, ts, permalink, original author).
    source: dict[str, Any] = _json(default_factory=dict)
    revision: int = 0  # bumped on every change; a write that lost a race is refused and retried
    created_at: datetime = _created()
    updated_at: datetime = _created()
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ItemCard(SQLModel, table=True):
    """A message about an item in someone's DM (the owner's card with buttons, the asker's status).

    Every change to the item edits every card with chat.update, so nobody acts on a stale card. The row is
    written with the notification; the dispatcher fills in channel and ts once Slack has the message.
    """

    __tablename__ = "item_card"
    __table_args__ = (UniqueConstraint("item_id", "key", name="uq_item_card"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    key: str = Field(max_length=100)
    recipient_id: int = Field(foreign_key="person.id")
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = _created()


class TrainerCommitment(SQLModel, table=True):
    """Days a state contact committed (themselves or one of their trainers) when their offer won a training
    request: the allocation ledger (`cstbot trainers`) counts these per school year."""

    __tablename__ = "trainer_commitment"
    __table_args__ = (Index("ix_trainer_commitment_at", "committed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", unique=True)
    contact_id: int = Field(foreign_key="person.id")
    trainer_id: int = Field(foreign_key="person.id")
    days: float
    over_allocation: bool = False  # offered past the contact's remaining allocation, confirmed by them
    committed_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = _created()


class ProtocolSnapshot(SQLModel, table=True):
    """Every protocol version items were started under, so an item keeps its rules when the file changes."""

    __tablename__ = "protocol_snapshot"
    version: str = Field(primary_key=True, max_length=50)
    text: str = Field(sa_type=Text)
    source: str = Field(default="", max_length=500)
    created_at: datetime = _created()


class ItemEvent(SQLModel, table=True):
    """The audit trail: one row per state change of an item, with who did it and why."""

    __tablename__ = "item_event"
    __table_args__ = (Index("ix_item_event_at", "at"),)  # a month's audit trail (the CST update's figures)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    kind: str = Field(max_length=30)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = Field(sa_type=UTCDateTime)
    from_owner_id: int | None = Field(default=None, foreign_key="person.id")
    to_owner_id: int | None = Field(default=None, foreign_key="person.id")
    reason: str = Field(default="", sa_type=Text)
    detail: dict[str, Any] = _json(default_factory=dict)


# --- coaching interaction logs -------------------------------------------------------------------------


class Interaction(SQLModel, table=True):
    """One coaching interaction: the nine fields of the CST Coaching Interaction Log."""

    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_team_month", "team_id", "month"),
        # The monthly summary and the export read one month of every team: without it, a full table scan.
        Index("ix_interaction_month", "month"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    month: str = Field(max_length=7)  # YYYY-MM of `occurred_on`, the log month it belongs to
    district_id: int = Field(foreign_key="district.id", index=True)
    occurred_on: date
    duration_minutes: int
    interaction_type: str = Field(max_length=50)
    description: str = Field(default="", sa_type=Text)  # required when the type is "unsure"
    participants: str = Field(default="", sa_type=Text)
    members_present: list[int] = _json()  # person ids
    topics: list[str] = _json()
    resources: str = Field(default="", sa_type=Text)
    comments: str = Field(default="", sa_type=Text)
    no_student_data: bool = False  # the author confirmed free text holds no student personal data
    author_id: int = Field(foreign_key="person.id")
    created_at: datetime = _created()
    updated_at: datetime = _created()
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LogMonth(SQLModel, table=True):
    """A team's monthly log: open while entries are added, locked once the facilitator submits it."""

    __tablename__ = "log_month"
    __table_args__ = (UniqueConstraint("team_id", "month", name="uq_log_month"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    month: str = Field(max_length=7)
    status: str = Field(default="open", max_length=20)  # open | submitted
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by: int | None = Field(default=None, foreign_key="person.id")
    history: list[dict[str, Any]] = _json()  # submissions and reopenings, with reasons
    created_at: datetime = _created()
    updated_at: datetime = _created()


# --- delivery ------------------------------------------------------------------------------------------


class Outbox(SQLModel, table=True):
    """An outgoing Slack Web API call, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    method: str = Field(max_length=60)  # chat.postMessage, chat.update, views.publish, ...
    payload: dict[str, Any] = _json(default_factory=dict)
    dedupe_key: str | None = Field(default=None, max_length=255, unique=True)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    status: str = Field(default="pending", max_length=20)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = _created()
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    result: dict[str, Any] = _json(default_factory=dict)
    created_at: datetime = _created()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set just before a call that could post a message twice (chat.postMessage, a file share) and kept while
    # Slack's answer is unknown (a timeout, a reset connection, a 5xx, a worker that died mid-call): from
    # then on the message may be in Slack, and a dispatcher looks in the channel's history before sending
    # again. Cleared when Slack's answer proves nothing was posted (429, an error answer, a refused connection).
    in_doubt_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A push written outside its recipient's working hours waits until their working morning (next_attempt_at
    # starts there too); kept after sending, so the wait can be told apart from a retry backoff.
    held_until: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # What must still be due for this reminder to be sent (bot.delivery.checks), checked right before sending.
    check_key: str | None = Field(default=None, max_length=255)
    # A notice rendered when it is sent (the request that writes it renders only the reply its person sees):
    # which notice, to whom, and what the dispatcher's renderer needs (`bot.items.cards.Renderer`). The text
    # and blocks are then added to `payload` at the call. None: the payload is the whole message.
    notice: str | None = Field(default=None, max_length=60)
    recipient_id: int | None = Field(default=None, foreign_key="person.id")
    context: dict[str, Any] = _json(default_factory=dict)


class SlackDmChannel(SQLModel, table=True):
    """The app's DM channel (D...) with a Slack user, as Slack answered a post to the user's id.

    Messages to a person are posted to their user id; reading a DM's history needs the channel id.
    """

    __tablename__ = "slack_dm_channel"
    user_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(max_length=32)
    updated_at: datetime = _created()


class ScheduledDelivery(SQLModel, table=True):
    """A scheduled delivery that has happened, keyed (kind, period, recipient) so it never happens twice."""

    __tablename__ = "scheduled_delivery"
    __table_args__ = (UniqueConstraint("kind", "period", "recipient", name="uq_scheduled_delivery"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=50)
    period: str = Field(max_length=50)
    recipient: str = Field(max_length=100)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    created_at: datetime = _created()


class SlackEventSeen(SQLModel, table=True):
    """Events API event ids already handled, so Slack's retries are processed once."""

    __tablename__ = "slack_event_seen"
    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _created()


class ViewSubmission(SQLModel, table=True):
    """A modal submission, by Slack's view id: a second submission of the same view (a replay, a double click)
    gets the first one's answer and runs nothing. `status` is "pending" while the first is being answered."""

    __tablename__ = "view_submission"
    view_id: str = Field(primary_key=True, max_length=64)
    callback_id: str = Field(max_length=255)
    user_id: str = Field(max_length=32)
    status: str = Field(max_length=16)
    response_status: int | None = None
    response: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    received_at: datetime = _created()
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- the monthly loop: the leads' CST update up, the management team's minutes down ----------------------


class LeadUpdate(SQLModel, table=True):
    """A lead facilitator's monthly CST update to the management team (CST Implementation Guide, Communication
    Protocol: "Lead facilitator(s) will provide monthly CST updates to the management team").

    One per lead and month: sending it again replaces it (`revision` + 1) and its messages are edited in place.
    `figures` are the draft the bot compiled from its own records, frozen as sent."""

    __tablename__ = "lead_update"
    __table_args__ = (UniqueConstraint("lead_id", "month", name="uq_lead_update"),)
    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM the update covers
    lead_id: int = Field(foreign_key="person.id")
    for_all: bool = False  # sent on behalf of every lead facilitator
    figures: dict[str, Any] = _json(default_factory=dict)
    highlights: str = Field(default="", sa_type=Text)
    concerns: str = Field(default="", sa_type=Text)
    asks: str = Field(default="", sa_type=Text)  # asks of the management team
    revision: int = 1
    form_token: str | None = Field(default=None, max_length=64)  # the form that sent the current revision
    first_sent_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime = Field(sa_type=UTCDateTime)  # the latest send (a replacement's)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Minutes(SQLModel, table=True):
    """Management team meeting minutes, shared with every CST facilitator ("Management Team meeting minutes are
    shared with the CST facilitators")."""

    __tablename__ = "minutes"
    id: int | None = Field(default=None, primary_key=True)
    meeting_date: date
    sender_id: int = Field(foreign_key="person.id", index=True)
    text: str = Field(default="", sa_type=Text)
    link: str = Field(default="", sa_type=Text)
    files: list[dict[str, Any]] = _json()  # files uploaded in the modal: {id, name, permalink}
    decisions: str = Field(default="", sa_type=Text)
    action_items: str = Field(default="", sa_type=Text)
    form_token: str | None = Field(default=None, max_length=64, unique=True)  # a form is sent once
    sent_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = _created()


class MinutesShare(SQLModel, table=True):
    """A facilitator passed minutes on to their team ("The CST facilitator is the conduit of information")."""

    __tablename__ = "minutes_share"
    __table_args__ = (UniqueConstraint("minutes_id", "team_id", name="uq_minutes_share"),)
    id: int | None = Field(default=None, primary_key=True)
    minutes_id: int = Field(foreign_key="minutes.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    facilitator_id: int = Field(foreign_key="person.id")
    note: str = Field(default="", sa_type=Text)
    members: int = 0  # how many members it went to
    shared_at: datetime = Field(sa_type=UTCDateTime)


class MessageCard(SQLModel, table=True):
    """A message about something other than an item (a lead's update, meeting minutes) in a DM or a channel.

    Like `item_card`: written with the message, its channel and ts filled in by the dispatcher once Slack has it,
    so a later change edits it in place (chat.update). `subject` names what it is about ("update:12"), `key` the
    reader ("person:5", "channel:C123"). `revision` counts edits, so only the newest edit is sent. A person's
    acknowledgement (*Acknowledge*, *Got it*) is `acked_at` on their card."""

    __tablename__ = "message_card"
    __table_args__ = (UniqueConstraint("subject", "key", name="uq_message_card"),)
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=50, index=True)
    key: str = Field(max_length=100)
    recipient_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    target: str = Field(max_length=32)  # where it was posted: a user id (their DM) or a channel id
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    post_outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    revision: int = 0
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Share(SQLModel, table=True):
    """A report, evaluation or notice shared with audiences of the network (`/cst share`): "Data analysis and
    reports conducted as part of the MMD evaluation will be shared with CSTs". Its messages are outbox rows keyed
    `share:<id>:person:<person id>`, one per recipient; `recipient_ids` names them, so "delivered to N of M" is
    counted from those rows' states."""

    __tablename__ = "share"
    id: int | None = Field(default=None, primary_key=True)
    sender_id: int = Field(foreign_key="person.id", index=True)
    title: str = Field(max_length=200)
    text: str = Field(default="", sa_type=Text)
    link: str = Field(default="", sa_type=Text)
    files: list[dict[str, Any]] = _json()  # files uploaded in the modal: {id, name, permalink}
    audiences: list[str] = _json()  # routing.sharing.AUDIENCES keys, as chosen
    recipient_ids: list[int] = _json()  # person ids, one message each
    form_token: str | None = Field(default=None, max_length=64, unique=True)  # a form is sent once
    sent_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = _created()
