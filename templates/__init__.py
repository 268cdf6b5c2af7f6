"""Jinja2 rendering for everything user-facing: Block Kit JSON (`*.json.j2`), mrkdwn and text (`*.md.j2`,
`*.txt.j2`). Values in JSON templates go through `|tojson`; the result is parsed, so a broken template fails
loudly in tests instead of sending a broken message."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from routing.vocabulary import in_sentence, with_article

TEMPLATE_DIR = Path(__file__).parent


def slack_escape(value: Any) -> str:
    """Escape the three characters Slack mrkdwn treats specially."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def upper_first(value: Any) -> str:
    """The first letter upper case, the rest as written ("CST update" stays, unlike Jinja's `capitalize`)."""
    text = str(value)
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["slack_escape"] = slack_escape
    env.filters["in_sentence"] = in_sentence
    env.filters["a"] = with_article  # "an MMD question", "a question"
    env.filters["upper_first"] = upper_first  # a protocol's word opening a line: "Implementation update · May"
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    return env


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    """The same environment with every value HTML-escaped (`*.html.j2`: pages people open in a browser)."""
    env = environment().overlay(autoescape=True)
    return env


def render_html(template: str, /, **context: Any) -> str:
    return html_environment().get_template(template).render(**context)


def render_text(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_json(template: str, /, **context: Any) -> Any:
    text = render_text(template, **context)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"template {template} rendered invalid JSON: {exc}") from exc
