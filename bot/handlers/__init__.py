"""Every Bolt listener, one module per feature; `register_listeners(app)` is the one place they are wired.

The middleware runs first: it puts the roster `directory` and the acting `person` into the context, so each
listener starts from who is asking (and a person the roster does not know is answered there, once).
"""

from __future__ import annotations

from slack_bolt import App

from bot.handlers import coaching_log, commands, events, home, items, middleware, minutes, reminders, share, updates


def register_listeners(app: App) -> None:
    middleware.register(app)
    for feature in (commands, items, coaching_log, updates, minutes, share, reminders, home, events):
        feature.register(app)
