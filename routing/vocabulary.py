"""Controlled vocabularies from the source documents, and a forgiving lookup with suggestions.

A protocol file may replace any of these lists; these are the shipped defaults.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# Seed 003, "CST Expertise, Composition, and Mindset" (titles) and "Coaching Support Teams" (areas).
EXPERTISE_AREAS: tuple[str, ...] = (
    "Facilitator",
    "General Education",
    "Leadership",
    "Assessment",
    "Data",
    "Technology",
    "Special Education",
    "Early Childhood",
    "Social-Behavioral",
    "School Culture",
    "Academics",
    "Communication",
    "Accountability/MSIP",
    "Systems Change",
)

# Seed 004, Standards for Professional Learning.
STANDARDS: tuple[str, ...] = (
    "Learning Communities",
    "Leadership",
    "Resources",
    "Data",
    "Learning Designs",
    "Implementation",
    "Outcomes",
)

# Seed 002, implementation zones.
ZONES: tuple[str, ...] = ("Early", "Developing", "Initial implementation", "Full implementation", "New")

REGIONS: tuple[str, ...] = ("East", "West")


def _key(name: str) -> str:
    """Case, spacing and punctuation do not matter: 'social/behavioral' == 'Social-Behavioral'."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def canonical(name: str, choices: Iterable[str]) -> str | None:
    """The choice `name` means, or None."""
    wanted = _key(name)
    for choice in choices:
        if _key(choice) == wanted:
            return choice
    return None


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a name that matched none, for 'did you mean ...?'."""
    choices = list(choices)
    by_key = {_key(c): c for c in choices}
    close = difflib.get_close_matches(_key(name), list(by_key), n=1, cutoff=0.5)
    if close:
        return by_key[close[0]]
    # Fall back on a word the two share ("Special Ed" -> "Special Education").
    words = set(re.findall(r"[a-z0-9]+", name.lower()))
    for choice in choices:
        if words & set(re.findall(r"[a-z0-9]+", choice.lower())):
            return choice
    return None


def unknown_message(kind: str, name: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    hint = suggest(name, choices)
    if hint:
        return f"unknown {kind} {name!r}: did you mean {hint!r}?"
    return f"unknown {kind} {name!r}: use one of {', '.join(choices)}"


def in_sentence(value: object) -> str:
    """A label inside a sentence, as the protocol writes it otherwise: 'Question' becomes 'question' and 'Lead
    facilitator' 'lead facilitator', 'Other CST facilitators' 'other CST facilitators'; a label led by an acronym
    ('MMD question', 'CST facilitator') or written as a name ('State Implementation Team') stays as written."""
    text = str(value)
    words = text.split()
    if not words:
        return text
    def named(word: str) -> bool:  # a capitalised word that is not an acronym: part of a name
        letters = word.strip("()")
        return letters[:1].isupper() and any(c.islower() for c in letters)

    if any(c.isupper() for c in words[0][1:]) or any(named(w) for w in words[1:]):
        return text
    return text[:1].lower() + text[1:]


def article(words: str) -> str:
    """'an' or 'a' before `words` as written: 'an MMD question', 'an update', 'a CST member', 'a question'."""
    first = words.split(" ", 1)[0] if words else ""
    if len(first) > 1 and first.isupper():  # an acronym is read letter by letter
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[:1].lower() in "aeiou" else "a"


def with_article(words: str) -> str:
    return f"{article(words)} {words}"


_NORMALIZED: dict[str, str] = {}  # memo: routing compares the same few names many times a second


def normalized(name: str) -> str:
    """The comparison key of a vocabulary name: case, spacing and punctuation removed."""
    key = _NORMALIZED.get(name)
    if key is None:
        if len(_NORMALIZED) > 10_000:
            _NORMALIZED.clear()
        key = _NORMALIZED[name] = _key(name)
    return key
