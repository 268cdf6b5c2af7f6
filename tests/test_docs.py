"""The repository explains itself, and what it says stays true: the architecture map matches the tree, and the
README names every scope the manifest asks for."""

from __future__ import annotations

import re
from pathlib import Path

from bot.slack.manifest import SCOPES

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _packages(folder: str) -> list[str]:
    return sorted(p.parent.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob("*/__init__.py"))


def test_bot_top_level_holds_only_wiring():
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert modules == ["__init__.py", "app.py", "deps.py", "ids.py", "runtime.py", "settings.py"]


def test_the_architecture_map_names_every_package_and_handler_module():
    packages = _packages("bot")
    assert "bot/items" in packages and "bot/handlers" in packages
    for package in packages:
        assert f"`{package}/`" in ARCHITECTURE, f"docs/architecture.md does not describe {package}/"
    handlers = sorted(p.name for p in (ROOT / "bot" / "handlers").glob("*.py") if p.name != "__init__.py")
    assert handlers
    for module in handlers:
        assert f"`{module}`" in ARCHITECTURE, f"docs/architecture.md does not name bot/handlers/{module}"


def test_every_path_the_architecture_map_names_exists():
    paths = re.findall(r"`((?:bot|store|routing|templates|tests|docs)/[\w/.-]*)`", ARCHITECTURE)
    assert len(paths) > 10
    missing = [p for p in paths if not (ROOT / p.split(":")[0]).exists()]
    assert missing == []


def test_the_readme_names_every_scope_the_manifest_asks_for():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SCOPES
    assert [s for s in SCOPES if f"`{s}`" not in readme] == []
