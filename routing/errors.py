"""Errors a user can act on. The CLI prints them as one line; Slack handlers turn them into replies."""

from __future__ import annotations


class CstbotError(Exception):
    """Base for every error whose message is written for the person who has to fix it."""

    exit_code = 1


class ConfigError(CstbotError):
    """A setting is missing or invalid (environment, .env, protocol file)."""

    exit_code = 2
