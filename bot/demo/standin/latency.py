"""Slack's own time to answer, for load benchmarks: a stand-in that waits before each Web API answer.

Real Slack answers ``views.open`` in about 100 ms and ``chat.postMessage`` in about 150 ms. A benchmark against a
stand-in that answers in 1 ms hides what a request waiting on Slack costs a server (a thread held for the whole
call), so ``bench/bench_app.py`` runs the app against :class:`SlowSlackStandIn`::

    with SlowSlackStandIn(delays=SLACK_LATENCY) as slack:   # {"views.": 0.100, "chat.": 0.150}
        ...

``delays`` maps a method-name prefix to seconds; the longest matching prefix wins (``"views.open"`` over
``"views."``; ``""`` matches every method). Only Web API calls wait: the upload URL and ``response_url`` hooks
answer at once. The wait happens before the call is recorded and answered, in the request's own server thread,
so concurrent calls wait side by side as they do on Slack. Tests leave it at the plain :class:`SlackStandIn`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from .slack_standin import Reply, SlackStandIn

__all__ = ["SLACK_LATENCY", "SlowSlackStandIn", "delay_for", "parse_delays"]

SLACK_LATENCY: Mapping[str, float] = {"views.": 0.100, "chat.": 0.150}
"""Slack's typical answer times, in seconds, by method prefix (issue 14; DESIGN.md, performance facts)."""

API_PREFIX = "/api/"
_sleep = time.sleep  # replaced in tests, which never time anything


def delay_for(delays: Mapping[str, float], method: str) -> float:
    """Seconds to wait before answering ``method``: the value of the longest prefix of it in ``delays``, else 0."""
    best, found = -1, 0.0
    for prefix, seconds in delays.items():
        if method.startswith(prefix) and len(prefix) > best:
            best, found = len(prefix), seconds
    return found


def parse_delays(text: str) -> dict[str, float]:
    """``"views.=100,chat.=150"`` (milliseconds) -> ``{"views.": 0.1, "chat.": 0.15}``; ``"0"`` or ``""`` -> ``{}``.

    ValueError names what is wrong (for a command-line option)."""
    text = text.strip()
    if text in ("", "0", "none"):
        return {}
    delays: dict[str, float] = {}
    for part in text.split(","):
        prefix, sep, ms = part.strip().partition("=")
        if not sep:
            raise ValueError(f"{part.strip()!r}: write PREFIX=MILLISECONDS, e.g. views.=100")
        try:
            value = float(ms)
        except ValueError:
            raise ValueError(f"{part.strip()!r}: {ms!r} is not a number of milliseconds") from None
        if value < 0 or value != value:
            raise ValueError(f"{part.strip()!r}: a delay cannot be negative")
        delays[prefix.strip()] = value / 1000
    return delays


class SlowSlackStandIn(SlackStandIn):
    """A :class:`SlackStandIn` whose Web API answers each take ``delay_for(delays, method)`` seconds."""

    def __init__(self, *, delays: Mapping[str, float] = SLACK_LATENCY, **kwargs) -> None:
        super().__init__(**kwargs)
        self.delays = dict(delays)

    def _handle(self, http_method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route = urlsplit(path).path
        if route.startswith(API_PREFIX):
            wait = delay_for(self.delays, route[len(API_PREFIX) :])
            if wait > 0:
                _sleep(wait)  # Slack's own time to answer; this server thread is the call's alone
        return super()._handle(http_method, path, headers, body)
