"""End-to-end test harness: a Slack Web API stand-in, a Slack-signed request client, a WSGI server."""

from .signed_client import AppResponse, Sign, SignedSlackClient, slack_signature
from .slack_standin import (
    DEFAULT_API_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    Call,
    Reply,
    SlackStandIn,
    Upload,
)
from .wsgi_server import serve_wsgi

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
