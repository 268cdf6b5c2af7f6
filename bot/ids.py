"""Every callback, action and block id the app uses, in one place. Templates receive these by name."""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/cst"


class Callback(StrEnum):
    """Modal callback ids and the message shortcut."""

    ASK = "cst_ask"
    TRAIN = "cst_train"
    ANSWER = "cst_answer"
    REASSIGN = "cst_reassign"
    ESCALATE = "cst_escalate"
    DECLINE = "cst_decline"
    SEND_TO_FACILITATOR = "cst_send_to_facilitator"  # message shortcut
    OFFER = "cst_offer"
    LOG = "cst_log"  # add or edit a coaching interaction
    LOG_SUBMIT = "cst_log_submit"  # the facilitator's review of a month, submitted
    LOG_REOPEN = "cst_log_reopen"
    UPDATE = "cst_update"  # a lead facilitator's monthly CST update
    MINUTES = "cst_minutes"  # management team minutes
    MINUTES_SHARE = "cst_minutes_share"  # a facilitator passes minutes on to their team
    SHARE = "cst_share"  # a report or notice shared with audiences of the network
    CONVERT = "cst_convert"  # "This is a training request": the expertise it needs
    FORWARD = "cst_forward"  # the Send to facilitator shortcut's question: a question or a training request?
    QUIET = "cst_quiet"  # "Quiet until": no pushes and no new routed work until a date (holiday, leave)


class Action(StrEnum):
    """Buttons and menus. The button's value carries the item id."""

    ANSWER = "item_answer"
    ESCALATE = "item_escalate"
    REASSIGN = "item_reassign"
    PICK = "item_pick"  # training: pick a candidate (static select; value "item_id:person_id")
    NO_MATCH = "item_no_match"  # training: nobody suitable at this stage
    OFFER = "item_offer"  # training: another team / state contact offers a trainer
    DECLINE = "item_decline"  # training: asked person has no one to offer
    WITHDRAW = "item_withdraw"
    TAKE = "item_take"  # a tier held by several people: the first click owns it
    CONVERT = "item_convert"  # a question or district request is really a training request
    HOME_ASK = "home_ask"
    HOME_TRAIN = "home_train"
    HOME_HELP = "home_help"
    HOME_LOG = "home_log"
    HOME_AS = "home_as"  # the Home tab's "Viewing as" menu, for a Slack account that plays several people (trial)
    LOG_REVIEW = "log_review"  # value "team_id:month"
    LOG_REOPEN = "log_reopen"  # value "team_id:month"
    LOG_ENTRY_MENU = "log_entry_menu"  # overflow on a review entry: "edit:ID" | "remove:ID"
    NOOP = "noop"  # link buttons: Slack still sends an action, which is acked and ignored
    UPDATE_OPEN = "update_open"  # write (or replace) the CST update; value "YYYY-MM"
    UPDATE_ACK = "update_ack"  # Acknowledge; value: the update's id
    MINUTES_OPEN = "minutes_open"  # share meeting minutes (Home tab)
    MINUTES_ACK = "minutes_ack"  # Got it; value: the minutes' id
    MINUTES_SHARE = "minutes_share"  # Share with my team; value: the minutes' id
    SNOOZE = "reminder_snooze"  # Remind me tomorrow; value: the reminder's outbox row id
    HOME_QUIET = "home_quiet"  # the Home tab's "Quiet until..." button
    SHARE_OPEN = "share_open"  # share a report or notice (Home tab)


class Block(StrEnum):
    """Input block ids (field errors are keyed by these)."""

    TEXT = "text"
    DISTRICT = "district"
    TOPICS = "topics"
    EXPERTISE = "expertise"
    URGENCY = "urgency"
    KIND = "kind"
    ANSWER = "answer"
    ASSIGNEE = "assignee"
    NOTE = "note"
    CANDIDATE = "candidate"
    HIGHLIGHTS = "highlights"  # the CST update's three text fields, and whom it speaks for
    CONCERNS = "concerns"
    ASKS = "asks"
    FOR_ALL = "for_all"
    MEETING_DATE = "meeting_date"  # the minutes modal
    MINUTES_TEXT = "minutes_text"
    LINK = "link"
    FILES = "files"
    DECISIONS = "decisions"
    ACTION_ITEMS = "action_items"
    QUIET_UNTIL = "quiet_until"  # the quiet-until modal's date
    SHARE_TITLE = "share_title"  # the share modal (its link and files: LINK, FILES)
    SHARE_TEXT = "share_text"
    AUDIENCES = "audiences"
    DAYS = "days"  # a state contact's offer: the days it commits of their allocation
    OVER = "over"  # ... and the confirmation that it goes past what remains
