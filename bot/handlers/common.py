"""What listeners share: the service, a render context, and replies for people the roster does not know."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.items.cards import RenderContext, mention
from bot.items.service import Service, UnknownPerson
from routing.directory import Directory
from templates import render_text

log = logging.getLogger(__name__)


def deps_of(context: Any) -> Deps:
    return context["deps"]


def render_ctx(deps: Deps, directory: Directory, protocol=None) -> RenderContext:
    return RenderContext(directory=directory, protocol=protocol or deps.protocols.current,
                         timezone=deps.settings.timezone)


def unknown_person_text(exc: UnknownPerson, directory: Directory | None = None) -> str:
    log.warning("Slack user %s is not in the roster; told whom to ask", exc.slack_id)
    admins = [mention(directory, a.id) if directory else a.label for a in exc.admins]
    return render_text("messages/unknown_person.md.j2", admins=admins).strip()


def service(deps: Deps) -> Service:
    return Service(deps)
