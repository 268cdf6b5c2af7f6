"""Each modal submission answered once, by Slack's view id.

A second submission of the same view (a replay within the signature window, a double click that got through)
gets the first one's answer and no listener runs, so nothing is written twice. A submission answered with field
errors, or one whose listener failed, wrote nothing: its claim is released and the view may be submitted again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from slack_bolt import BoltRequest, BoltResponse

from bot.deps import Deps
from bot.slack.replies import message_modal
from store import submissions
from templates import render_text

log = logging.getLogger(__name__)

FAILED = "cstbot_failed"  # set in the request's context by the error handler
ABANDONED_AFTER = timedelta(seconds=30)  # a claim pending this long belongs to a process that died mid-request
WAIT_STEPS, WAIT_STEP_SECONDS = 40, 0.05  # a repeat waits up to 2 s for the first one's answer


def submit_once(deps: Deps, req: BoltRequest, dispatch: Callable[[BoltRequest], BoltResponse]) -> BoltResponse:
    view = req.body["view"]
    view_id, user_id = view["id"], req.body["user"]["id"]
    earlier = _claim(deps, view_id, view.get("callback_id") or "", user_id)
    if earlier is not None:
        return earlier
    response: BoltResponse | None = None
    try:
        response = dispatch(req)
    finally:
        keep = response is not None and response.status == 200 and not req.context.get(FAILED) \
            and not _field_errors(response)
        with deps.session(write=True) as session:
            if keep:
                submissions.answer(session=session, view_id=view_id, status=response.status,
                                   response={"body": response.body, "headers": _headers(response)}, now=deps.now())
            else:
                submissions.release(session=session, view_id=view_id)
    return response


def _claim(deps: Deps, view_id: str, callback_id: str, user_id: str) -> BoltResponse | None:
    """None when this submission is the view's first; else the answer to give it."""
    for _ in range(WAIT_STEPS):
        now = deps.now()
        with deps.session(write=True) as session:
            row = submissions.claim(session=session, view_id=view_id, callback_id=callback_id, user_id=user_id,
                                    now=now, abandoned_before=now - ABANDONED_AFTER)
            if row is None:
                return None
            status, stored = row.status, row.response
        if status == submissions.ANSWERED:
            log.info("view %s submitted again: answered as the first time, nothing run", view_id)
            return BoltResponse(status=200, body=stored["body"], headers=stored["headers"])
        time.sleep(WAIT_STEP_SECONDS)  # the first submission is still being answered
    log.info("view %s submitted again while the first is still being answered", view_id)
    text = render_text("messages/submission_pending.md.j2").strip()
    return BoltResponse(status=200, body={"response_action": "update", "view": message_modal("Already sent", text)})


def _field_errors(response: BoltResponse) -> bool:
    try:
        body = json.loads(response.body) if response.body else {}
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("response_action") == "errors"


def _headers(response: BoltResponse) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list | tuple) else v for k, v in response.headers.items()
            if k.lower() == "content-type"}
