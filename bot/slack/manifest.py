"""The Slack app manifest: exactly the scopes, command, shortcut and events the bot uses."""

from __future__ import annotations

from bot.ids import COMMAND, Callback
from bot.slack.web import EVENTS_PATH
from templates import render_text

# Each scope, and why the bot needs it.
# The *:history scopes and im:write serve one purpose: exactly-once delivery. After an unclear answer from Slack
# (a timeout, a reset connection, a 5xx, a worker that died mid-call) the outbox reads the conversation's
# recent history for the message's metadata before sending it again. The app reads only conversations it is
# in; Slack has no scope narrower than "history of this conversation type".
SCOPES = {
    "channels:history": "outbox: before re-sending after an unclear answer, look for the message in the public "
    "summaries channels the app posts to",
    "chat:write": "post cards, answers and reminders in people's DMs with the app; edit them as items move",
    "commands": "the /cst command",
    "files:read": "management minutes and /cst share: the file upload field (file_input) of their forms requires it",
    "files:write": "monthly summaries: attach the workbook and the chart to the summary message",
    "groups:history": "outbox: the same look before re-sending, in private summaries channels the app was added to",
    "im:history": "outbox: the same look before re-sending, in people's DMs with the app (cards, answers, "
    "reminders)",
    "im:write": "outbox: find the DM channel id of a person whose first message got no clear answer "
    "(conversations.open), to look in it; chat:write already lets the app DM anyone, so no new reach",
    "users:read": "needed with users:read.email",
    "users:read.email": "roster import: find a person's Slack account from the email in the roster",
}
EVENTS = ("app_home_opened",)


def manifest(*, base_url: str = "https://cstbot.example.org", socket: bool = False, name: str = "cstbot") -> str:
    return render_text(
        "manifest.yaml.j2",
        name=name,
        base_url=base_url.rstrip("/"),
        events_path=EVENTS_PATH,
        socket=socket,
        command=COMMAND,
        shortcut_callback=Callback.SEND_TO_FACILITATOR.value,
        scopes=sorted(SCOPES),
        events=EVENTS,
    ) + "\n"
