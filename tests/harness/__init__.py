"""End-to-end test harness: the Slack stand-in, the signed client and the WSGI server live in `bot.standin`
(so `cstbot demo` ships them); this package re-exports them for the tests."""

from bot.standin import (
    DEFAULT_API_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    AppResponse,
    Call,
    Reply,
    Sign,
    SignedSlackClient,
    SlackStandIn,
    Upload,
    serve_wsgi,
    slack_signature,
)

__all__ = [
    "DEFAULT_API_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "AppResponse",
    "Call",
    "Reply",
    "Sign",
    "SignedSlackClient",
    "SlackStandIn",
    "Upload",
    "serve_wsgi",
    "slack_signature",
]
