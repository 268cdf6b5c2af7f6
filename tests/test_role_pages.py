"""docs/roles/ is what `python -m bot.demo.role_pages` generates from the real templates: a page that drifted fails."""

from __future__ import annotations

import pytest

from bot.demo import role_pages
from routing.directory import Role


@pytest.fixture(scope="module")
def found():
    return role_pages.examples()


def test_the_pages_match_the_templates(found):
    pages = role_pages.render_pages(found)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in role_pages.OUT.glob("*.md")}
    assert set(on_disk) == set(pages), "run: python -m bot.demo.role_pages"
    stale = [name for name, text in pages.items() if on_disk[name] != text]
    assert stale == [], f"docs/roles/ is out of date ({stale}): run python -m bot.demo.role_pages"


def test_one_page_per_role_each_with_an_example(found):
    assert sorted(p.role for p in role_pages.PAGES) == sorted(Role)
    assert len({p.slug for p in role_pages.PAGES}) == len(role_pages.PAGES)
    for page in role_pages.PAGES:
        named = [s.example for s in page.sections if s.example]
        assert named, f"{page.slug} has no example message"
        assert all(name in found for name in named)


def test_an_example_reaches_the_role_its_page_is_about(found):
    pages = role_pages.render_pages(found)
    assert "To Avery Lindqvist (CST facilitator, Early East):" in pages["cst-facilitator.md"]
    assert "To Zora Kimathi (DESE trainer-match contact):" in pages["state-contact.md"]
    assert "[Offer a trainer] [No one to offer]" in pages["state-contact.md"]
    assert "- **Offer a trainer**:" in pages["state-contact.md"]


def test_a_button_nobody_explained_fails_the_generator(found):
    planted = dict(found)
    example = found["facilitator_card"]
    planted["facilitator_card"] = role_pages.Example(example.to, (*example.lines, "[Snooze]"), ("Snooze",))
    with pytest.raises(KeyError, match="'Snooze' on facilitator_card is not explained"):
        role_pages.render_pages(planted)


def test_check_mode_says_when_a_page_is_stale(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(role_pages, "OUT", tmp_path)
    assert role_pages.main(["--check"]) == 1
    assert "docs/roles/ is out of date" in capsys.readouterr().err
    assert role_pages.main([]) == 0 and role_pages.main(["--check"]) == 0
    (tmp_path / "admin.md").write_text("edited by hand\n", encoding="utf-8")
    assert role_pages.main(["--check"]) == 1
