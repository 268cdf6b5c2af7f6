"""A local stand-in for Slack: a recording Web API server, a Slack-signed request client, a WSGI server.

Stdlib only. `cstbot demo` plays a month against them; the end-to-end tests (tests/harness) use the same.
"""

from .latency import SLACK_LATENCY, SlowSlackStandIn
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
    "SLACK_LATENCY",
    "AppResponse",
    "Call",
    "Reply",
    "Sign",
    "SignedSlackClient",
    "SlackStandIn",
    "SlowSlackStandIn",
    "Upload",
    "serve_wsgi",
    "slack_signature",
]
