"""A roster import reaches a running app without a restart, and without a request waiting on a reload it does not
need: the previous directory answers while the new one loads, except for someone only the new one knows."""

from __future__ import annotations

from store.roster import import_roster, parse_yaml
from tests.e2e.conftest import ROSTER

NEWCOMER = "  - {email: new@x.example, name: Nel Newcomer, slack_id: UNEW00001}\n"


def test_someone_just_added_is_known_on_their_first_request(app_env):
    env = app_env
    env.deps.directories.recheck_seconds = 0  # check the roster version on every request
    assert "How cstbot works" in env.client.slash_command("/cst", "help", user_id="UMEMA0001").text
    loads = env.deps.directories.loads

    with_newcomer = ROSTER.replace("people:\n", "people:\n" + NEWCOMER).replace(
        "staff: [staff@d3.example]", "staff: [staff@d3.example, new@x.example]"
    )
    import_roster(parse_yaml(with_newcomer, source="roster.yaml"), engine=env.engine)

    r = env.client.slash_command("/cst", "help", user_id="UNEW00001")  # the cached roster has no UNEW00001
    assert r.status == 200 and "How cstbot works" in r.text and "does not have you" not in r.text
    assert env.deps.directories.loads == loads + 1  # loaded once, in the background
    assert "How cstbot works" in env.client.slash_command("/cst", "help", user_id="UMEMA0001").text
    assert env.deps.directories.loads == loads + 1
