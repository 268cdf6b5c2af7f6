"""The README opens with exactly two commands after cloning, and both work.

The fresh virtual environment is `.ci/run`'s part: it runs the README's first command exactly as written in a fresh
copy of the checkout (venv, `pip install -e '.[dev]'`, `cstbot demo`) and the second one's collection there, which
needs the package index. Here, without network, the same commands' parts run from this environment: the demo
through the installed `cstbot` console script, and the test command's collection.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests import quickstart

ROOT = Path(__file__).resolve().parent.parent
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_opens_with_two_commands():
    readme = quickstart.README.read_text(encoding="utf-8")
    first_block = readme.index("```")
    assert "\n## " not in readme[:first_block], "the quickstart comes before any section"
    install, test = quickstart.commands(readme)  # exactly two
    steps = [s.strip() for s in install.split("&&")]
    assert "pip install -e '.[dev]'" in steps and steps[-1] == "cstbot demo"
    assert test == "python -m pytest"


def test_the_reader_only_finds_the_first_block():
    assert quickstart.commands("no block here") == []
    planted = "# x\n\n```sh\necho one   # a comment\n\n# a comment line\necho two\n```\n\n```sh\necho three\n```\n"
    assert quickstart.commands(planted) == ["echo one", "echo two"]


def test_ci_runs_the_readme_commands():
    """CI reads the quickstart from the README (so the two cannot drift) and runs the same test command."""
    assert "tests/quickstart.py 1" in CI and "tests/quickstart.py 2" in CI
    assert 'bash -ec "$first"' in CI and "$second --collect-only" in CI
    assert re.search(r"^python -m pytest -q$", CI, re.M)


def test_the_demo_part_runs_from_the_console_script(tmp_path):
    cstbot = shutil.which("cstbot", path=str(Path(sys.executable).parent))
    assert cstbot, "the cstbot console script is not installed in this environment"
    demo = quickstart.commands()[0].split("&&")[-1].split()
    assert demo[0] == "cstbot"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "CSTBOT_"))}
    result = subprocess.run([cstbot, *demo[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"^Done: \d+ items routed", result.stdout, re.M)
    assert list(tmp_path.iterdir()) == []  # embedded defaults: nothing left behind


def test_the_test_command_collects_the_suite():
    command = quickstart.commands()[1].split()
    assert command[:3] == ["python", "-m", "pytest"]
    result = subprocess.run([sys.executable, *command[1:], "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    collected = re.search(r"^(\d+) tests collected", result.stdout, re.M)
    assert collected and int(collected.group(1)) > 500
