"""`routing/` is pure: no Slack, database, templates or scheduler imports, and no clock reads.

Checked on the source (AST) of every module in the package, and by importing the package in a fresh interpreter
and looking at what got loaded.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import routing

FORBIDDEN = ("slack_bolt", "slack_sdk", "sqlmodel", "sqlalchemy", "jinja2", "apscheduler")
# Calls that read the clock: datetime.now(), datetime.utcnow(), date.today(), time.time(), and friends.
CLOCK_ATTRIBUTES = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime"}
CLOCK_OWNERS = {"datetime", "date", "time"}
CLOCK_IMPORTS = {("time", name) for name in CLOCK_ATTRIBUTES} | {("datetime", "now")}

PACKAGE_DIR = Path(routing.__file__).parent
MODULES = sorted({"routing", *(m.name for m in pkgutil.walk_packages(routing.__path__, "routing."))})


def _source(module_name: str) -> tuple[Path, ast.Module]:
    module = importlib.import_module(module_name)
    path = Path(module.__file__)
    return path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_every_module_is_checked():
    names = set(MODULES)
    for expected in ("routing.engine", "routing.protocol", "routing.calendar", "routing.model", "routing.explain"):
        assert expected in names
    assert len(names) == len(list(PACKAGE_DIR.rglob("*.py")))


def forbidden_imports(tree: ast.Module) -> list[str]:
    """Every import of a shell library (Slack, database, templates, scheduler), as "line: name"."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        found += [f"{node.lineno}: imports {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    return found


def clock_reads(tree: ast.Module) -> list[str]:
    """Every call that reads the clock (datetime.now(), time.time(), ...) and every import of a clock function."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if node.func.attr in CLOCK_ATTRIBUTES and owner_name in CLOCK_OWNERS:
                found.append(f"{node.lineno}: reads the clock: {owner_name}.{node.func.attr}()")
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
            found += [f"{node.lineno}: imports a clock: {node.module}.{alias.name}" for alias in node.names
                      if (node.module, alias.name) in CLOCK_IMPORTS]
    return found


@pytest.mark.parametrize("module_name", MODULES)
def test_no_forbidden_imports(module_name):
    path, tree = _source(module_name)
    assert forbidden_imports(tree) == [], path.name


@pytest.mark.parametrize("module_name", MODULES)
def test_no_clock_reads(module_name):
    path, tree = _source(module_name)
    assert clock_reads(tree) == [], path.name


def test_importing_routing_loads_none_of_them():
    """A fresh interpreter: importing every routing module must not pull the shell's libraries in."""
    script = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("planted", "check", "expected"),
    [
        ("import sqlalchemy\n", forbidden_imports, ["1: imports sqlalchemy"]),
        ("from slack_sdk.web import WebClient\n", forbidden_imports, ["1: imports slack_sdk.web"]),
        ("import json\nfrom jinja2 import Environment\n", forbidden_imports, ["2: imports jinja2"]),
        ("from datetime import datetime\nx = datetime.now()\n", clock_reads, ["2: reads the clock: datetime.now()"]),
        ("import datetime\nx = datetime.date.today()\n", clock_reads, ["2: reads the clock: date.today()"]),
        ("import time\nx = time.monotonic()\n", clock_reads, ["2: reads the clock: time.monotonic()"]),
        ("from time import time\n", clock_reads, ["1: imports a clock: time.time"]),
        ("from datetime import datetime\nx = datetime(2026, 1, 1)\n", clock_reads, []),
        ("import json\n", forbidden_imports, []),
    ],
)
def test_the_checks_catch_a_violation(planted, check, expected):
    """The checks the tests above run, run on planted code: a disabled check fails here."""
    assert check(ast.parse(planted)) == expected


INTERNAL = ("routing.change", "routing.chains", "routing.training", "routing.resolvers")


def test_outside_routing_only_the_public_api_is_used():
    """The engine is used through its public modules only: nothing outside routing/ imports its internals."""
    root = PACKAGE_DIR.parent
    for folder in ("bot", "store", "templates", "bench"):
        for path in (root / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                for name in names:
                    assert not name.startswith(INTERNAL), f"{path.relative_to(root)}:{node.lineno} imports {name}"
