"""`cstbot serve` in HTTP mode: the production server (gunicorn) answers /healthz and signed requests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from store import migrate
from store.roster import import_roster, parse_yaml
from tests.e2e.conftest import ROSTER, SECRET
from tests.standin import SignedSlackClient, SlackStandIn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"cstbot serve exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)  # waiting for a subprocess to bind, not timing anything
    raise AssertionError("cstbot serve did not become healthy")


@pytest.mark.parametrize("db", ["sqlite"])
def test_cstbot_serve_http_mode(tmp_path, db):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    migrate.upgrade(url)
    from store.db import make_engine

    engine = make_engine(url)
    import_roster(parse_yaml(ROSTER, source="roster.yaml"), engine=engine)
    engine.dispose()
    port = _free_port()
    with SlackStandIn() as slack:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-worker",  # and the default server model (gthread, 1 process x 32 threads on SQLite)
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc) == {"ok": True, "database": "ok"}
            client = SignedSlackClient(f"http://127.0.0.1:{port}", SECRET)
            response = client.slash_command("/cst", "help", user_id="UMEMA0001")
            assert response.status == 200 and "How cstbot works" in response.text
            assert client.slash_command("/cst", "help", user_id="UMEMA0001", sign="wrong").status == 401
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def test_serve_without_settings_is_a_one_line_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "cstbot: error: cstbot serve needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, not set: export them or add "
        "them to .env (README, 'Try it in your workspace in ten minutes'); `cstbot demo` needs none of them"
    ]
    assert not (tmp_path / "none.db").exists()  # told before anything is created


@pytest.mark.parametrize(
    ("args", "missing"),
    [(["serve", "--socket"], "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_APP_TOKEN"),
     (["worker"], "SLACK_BOT_TOKEN")],
)
def test_socket_mode_and_worker_name_what_they_miss(tmp_path, args, missing):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.db'}"
    result = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"cstbot: error: cstbot {args[0]} needs {missing}, not set")
    assert line.endswith("`cstbot demo` needs none of them")


def test_default_server_model_is_the_measured_one():
    """bench/README.md "Serving": gthread, 32 threads per process (a modal open holds one while Slack answers);
    one process on SQLite (its single writer), two on PostgreSQL; --workers/--threads override."""
    from bot.slack.server import ServerModel, default_model

    assert default_model("sqlite:///cstbot.db") == ServerModel("gthread", 1, 32)
    assert default_model("postgresql+psycopg://u@db/cst") == ServerModel("gthread", 2, 32)
    assert default_model("sqlite:///cstbot.db", workers=2, threads=4) == ServerModel("gthread", 2, 4)
    assert default_model("postgresql+psycopg://u@db/cst", threads=64).label == "gthread 2x64"
    assert ServerModel("gthread", 2, 32).gunicorn_options() == {"worker_class": "gthread", "workers": 2, "threads": 32}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [([], (1, 32)), (["--threads", "8"], (1, 8)), (["--workers", "2", "--threads", "16"], (2, 16))],
)
def test_serve_hands_gunicorn_the_default_model_unless_told_otherwise(tmp_path, monkeypatch, argv, expected):
    from bot.cli import main
    from bot.slack import server

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    migrate.upgrade(url)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name, value in {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET}.items():
        monkeypatch.setenv(name, value)
    started = []
    monkeypatch.setattr(server, "serve_http", lambda settings, **kw: started.append(kw))
    assert main(["serve", "--no-worker", "--port", "3999", *argv]) == 0
    [kw] = started
    assert (kw["model"].worker_class, kw["model"].workers, kw["model"].threads) == ("gthread", *expected)
    assert kw["port"] == 3999
