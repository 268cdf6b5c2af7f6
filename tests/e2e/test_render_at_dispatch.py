"""An ask renders only the reply its person sees; its notices are rendered by the dispatcher when it sends them,
and a notice that cannot be rendered then is a failed delivery the admins see, never lost."""

from __future__ import annotations

import jinja2
from freezegun import freeze_time
from sqlmodel import select

from bot.ids import Block, Callback
from routing.model import Notice
from store.models import Outbox
from tests.e2e.conftest import MONDAY_10AM
from tests.e2e.flows import all_text
from tests.e2e.test_redirect_and_home import open_home


def _submit(env, user: str, text: str):
    """/cst ask, then the submission of the modal (only the submission is counted below)."""
    env.client.slash_command("/cst", "ask", user_id=user)
    opened = env.slack.last("views.open").args["view"]
    values = {Block.TEXT: {"text": {"type": "plain_text_input", "value": text}},
              Block.DISTRICT: {"district": {"type": "static_select", "selected_option": {"value": "1"}}}}
    payload = env.client.view_submission(user, Callback.ASK.value, values,
                                         private_metadata=opened["private_metadata"], view=opened)
    return lambda: env.client.interactivity(payload)


def test_an_ask_renders_only_the_reply_and_its_notices_are_rendered_when_sent(app_env, monkeypatch):
    env = app_env
    with freeze_time(MONDAY_10AM):
        submit = _submit(env, "USTAFF001", "How do we start data teams?")
        rendered: list[str] = []
        render = jinja2.Template.render

        def counting(self, *args, **kwargs):
            rendered.append(self.name)
            return render(self, *args, **kwargs)

        monkeypatch.setattr(jinja2.Template, "render", counting)
        r = submit()
        monkeypatch.setattr(jinja2.Template, "render", render)
        assert r.status == 200 and "<@UFACA0001>" in str(r.json()["view"])
        # the reply the asker sees ("Sent: with @fay", in the modal that closes the form); no notice, no card
        assert rendered == ["messages/sent.md.j2", "modals/message_modal.json.j2"]

        with env.deps.session() as s:
            rows = s.exec(select(Outbox).order_by(Outbox.id)).all()
        assert {r.notice for r in rows} == {Notice.ITEM_ASSIGNED.value, Notice.ASKER_STATUS.value}
        assert all("blocks" not in r.payload for r in rows)  # not rendered yet
        env.deliver()
        card = env.dms("UFACA0001")[-1].args
        assert "How do we start data teams?" in str(card["blocks"])


def test_a_notice_that_cannot_be_rendered_is_a_failed_delivery_on_the_admins_home(app_env):
    env = app_env
    renderer = env.dispatcher.render

    def broken_for_the_asker(notice, recipient_id, context):
        if notice == Notice.ASKER_STATUS.value:
            raise jinja2.UndefinedError("'where' is undefined")
        return renderer(notice, recipient_id, context)

    env.dispatcher.render = broken_for_the_asker
    with freeze_time(MONDAY_10AM):
        _submit(env, "USTAFF001", "Where is the rubric?")()
        stats = env.deliver()
        assert stats.failed == 1
        assert env.dms("UFACA0001"), "the other notice is sent"
        assert not env.dms("USTAFF001")  # nothing broken reaches the asker
        with env.deps.session() as s:
            failed = s.exec(select(Outbox).where(Outbox.status == "failed")).one()
        assert failed.notice == Notice.ASKER_STATUS.value
        assert failed.last_error == f"could not render the {Notice.ASKER_STATUS.value} message: " \
                                    "UndefinedError: 'where' is undefined"
        admin = all_text(open_home(env, "UADMIN001")["view"])
        assert f"#{failed.id}: could not render the {Notice.ASKER_STATUS.value} message" in admin
