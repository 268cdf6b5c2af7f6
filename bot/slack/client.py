"""The Web API client, built one way for the app, the dispatcher and the CLI."""

from __future__ import annotations

import socket
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.settings import Settings

# Methods a second call cannot harm: reads, and writes that set a state (an edit, a Home view). A dropped
# connection is retried inside the call only for these; a chat.postMessage whose connection was reset may
# already be in Slack, and the outbox decides (it looks in the channel's history before sending again).
IDEMPOTENT = frozenset(
    {
        "auth.test",
        "chat.delete",
        "chat.update",
        "conversations.history",
        "conversations.info",
        "conversations.open",
        "conversations.replies",
        "files.getUploadURLExternal",
        "users.info",
        "users.list",
        "users.lookupByEmail",
        "views.publish",
    }
)


def never_reached_slack(error: Exception | None) -> bool:
    """The connection was refused or the host not found: the request never left, so nothing happened."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class SafeConnectionRetry(ConnectionErrorRetryHandler):
    """slack_sdk's connection-error retry, limited to calls that are safe to repeat: an idempotent method,
    or a request that provably never reached Slack."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        method = urlsplit(request.url).path.rsplit("/", 1)[-1]
        return method in IDEMPOTENT or never_reached_slack(error)


def make_client(settings: Settings, *, timeout: int = 10, token_required: bool = True) -> WebClient:
    """A WebClient on SLACK_API_URL with the bot token. One dropped connection is retried inside the call when
    that cannot post anything twice; rate limits and server errors are handled by the caller (the outbox
    reschedules instead of sleeping)."""
    token = settings.secret("slack_bot_token") if token_required else None
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value() or None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[SafeConnectionRetry(max_retry_count=1)],
    )
