"""Trainer matching: rank people for a training request (the four criteria of "Missouri Implementation Zones", 2020).

A candidate scores on expertise match (share of the request's topics the person lists), available FTE,
home center (the same regional center as the district) and supervisor-reported fit. The protocol file sets
the weights; the reason string shows every criterion so a facilitator can see why someone ranks where they do.

Only FTE someone stated as available counts: a person whose available FTE the roster leaves unset shows "FTE not
stated" and ranks after everyone who states some (an unset value is not "all of it free").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from routing.directory import Directory, District, Membership, NetworkRole, Role
from routing.vocabulary import normalized as _key

DEFAULT_WEIGHTS: Mapping[str, float] = {"expertise": 4.0, "fte": 2.0, "location": 1.0, "fit": 2.0}
UNKNOWN_FIT = 0.5  # fit used in the score when the supervisor has not reported one


@dataclass(frozen=True, slots=True)
class Profile:
    """What a person brings to a match: from a team membership or a network role (support team, state contact).
    `fte_free` is the FTE they stated as available (None: not stated); `note` leads their reason ("support team")."""

    person_id: int
    expertise: frozenset[str] = frozenset()
    fte_free: float | None = None
    home_center: str | None = None
    fit: float | None = None
    note: str | None = None

    @classmethod
    def of(cls, source: Membership | NetworkRole, *, note: str | None = None) -> Profile:
        if isinstance(source, Membership):
            return cls(source.person_id, source.expertise, source.fte_available, source.home_center, source.fit, note)
        if source.role is Role.SUPPORT:
            return cls(source.person_id, source.expertise, source.fte_available, source.home_center, None, note)
        # A state contact: their FTE is their allocation (Missouri: Collaborative Work FTE), stated in the roster.
        return cls(source.person_id, source.expertise, source.fte, source.home_center, None, note)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked candidate, JSON-safe through to_dict/from_dict (it is kept in the item's state)."""

    person_id: int
    name: str
    rank: int
    score: float
    reason: str
    expertise_matched: tuple[str, ...] = ()
    fte_free: float | None = None
    same_center: bool | None = None
    fit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "rank": self.rank,
            "score": self.score,
            "reason": self.reason,
            "expertise_matched": list(self.expertise_matched),
            "fte_free": self.fte_free,
            "same_center": self.same_center,
            "fit": self.fit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        return cls(**{**data, "expertise_matched": tuple(data.get("expertise_matched", ()))})


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class _Request:
    """What every candidate of one request is measured against (normalized once)."""

    topics: tuple[str, ...]
    topic_keys: tuple[str, ...]
    center: str | None
    center_key: str | None
    weights: tuple[float, float, float, float]  # expertise, fte, location, fit, already divided by their sum

    @classmethod
    def of(cls, topics: Iterable[str], district: District | None, weights: Mapping[str, float]) -> _Request:
        topics = tuple(topics)
        center = district.center if district and district.center else None
        total = sum(weights.values()) or 1.0
        shares = tuple(weights[k] / total for k in ("expertise", "fte", "location", "fit"))
        return cls(topics, tuple(_key(t) for t in topics), center, _key(center) if center else None, shares)


@lru_cache(maxsize=4096)
def _expertise_keys(expertise: frozenset[str]) -> frozenset[str]:
    return frozenset(_key(e) for e in expertise)


def _measure(profile: Profile, request: _Request) -> tuple[float, tuple[str, ...], bool | None]:
    """The score (weighted mean of four criteria in 0..1, 3 places), the topics matched, same center or not."""
    keys = _expertise_keys(profile.expertise)
    matched = tuple(t for t, k in zip(request.topics, request.topic_keys, strict=True) if k in keys)
    share = len(matched) / len(request.topics) if request.topics else 0.0
    fte = max(0.0, min(1.0, profile.fte_free or 0.0))
    same_center = None
    if request.center_key and profile.home_center:
        same_center = _key(profile.home_center) == request.center_key
    fit = profile.fit if profile.fit is not None else UNKNOWN_FIT
    w_expertise, w_fte, w_location, w_fit = request.weights
    score = w_expertise * share + w_fte * fte + w_location * (1.0 if same_center else 0.0) + w_fit * fit
    return round(score, 3), matched, same_center


def _reason(profile: Profile, request: _Request, matched: tuple[str, ...], same_center: bool | None) -> str:
    if request.topics:
        names = ", ".join(matched) if matched else "none"
        expertise = f"expertise: {names} ({len(matched)} of {len(request.topics)})"
    else:
        expertise = "expertise: no topics given"
    fte = f"{_fmt(profile.fte_free)} FTE free" if profile.fte_free is not None else "FTE not stated"
    if request.center is None:
        location = "district center unknown"
    elif not profile.home_center:
        location = "home center unknown"
    elif same_center:
        location = f"same center as district ({request.center})"
    else:
        location = f"different center ({profile.home_center}; district: {request.center})"
    fit = f"supervisor fit {_fmt(profile.fit)}" if profile.fit is not None else "supervisor fit not reported"
    reason = f"{expertise}; {fte}; {location}; {fit}"
    return f"{profile.note}; {reason}" if profile.note else reason


def rank_candidates(
    directory: Directory,
    profiles: Iterable[Profile],
    *,
    topics: Iterable[str] = (),
    district: District | None = None,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    listing_only: bool = False,
) -> tuple[Candidate, ...]:
    """Rank profiles best first; each candidate carries its rank (1 = best) and reason.

    The score is a weighted mean of expertise match (share of the topics the person lists), available FTE, same
    home center as the district, and supervisor-reported fit (UNKNOWN_FIT when not reported). Everyone who
    states available FTE ranks before everyone who does not; ties keep roster order. A person listed twice (two
    memberships) keeps their best profile. `listing_only`: only people who list at least one of the topics (with
    no topics given, everyone).
    """
    request = _Request.of(topics, district, weights)
    best: dict[int, tuple[float, Profile, tuple[str, ...], bool | None]] = {}
    for profile in profiles:
        score, matched, same_center = _measure(profile, request)
        if listing_only and request.topics and not matched:
            continue
        if profile.person_id not in best or score > best[profile.person_id][0]:
            best[profile.person_id] = (score, profile, matched, same_center)
    # stable: roster order breaks ties
    ordered = sorted(best.values(), key=lambda b: (b[1].fte_free is None, -b[0]))
    ranked = []
    for rank, (score, profile, matched, same_center) in enumerate(ordered, start=1):
        person = directory.person(profile.person_id)
        name = person.label if person else f"person {profile.person_id}"
        reason = _reason(profile, request, matched, same_center)
        ranked.append(
            Candidate(profile.person_id, name, rank, score, reason, matched, profile.fte_free, same_center, profile.fit)
        )
    return tuple(ranked)
