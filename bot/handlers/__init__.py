"""Listeners, grouped by Slack feature. `register_listeners(app)` is the one place they are wired."""

from __future__ import annotations

from slack_bolt import App

from bot.handlers import actions, coaching_log, commands, events, items, shortcuts


def register_listeners(app: App) -> None:
    commands.register(app)
    items.register(app)
    actions.register(app)
    shortcuts.register(app)
    events.register(app)
    coaching_log.register(app)
