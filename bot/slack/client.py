"""The Web API client, built one way for the app, the dispatcher and the CLI."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.settings import Settings


def make_client(settings: Settings, *, timeout: int = 10, token_required: bool = True) -> WebClient:
    """A WebClient on SLACK_API_URL with the bot token. One dropped connection is retried inside the call;
    rate limits and server errors are handled by the caller (the outbox reschedules instead of sleeping)."""
    token = settings.secret("slack_bot_token") if token_required else None
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value() or None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )
