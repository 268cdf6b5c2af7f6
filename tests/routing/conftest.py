"""Fixtures: every rule test runs on both protocol files (the shipped Missouri one and linked-teams)."""

from __future__ import annotations

import pytest

from routing.directory import Directory
from routing.protocol import Protocol
from tests.routing.helpers import PROTOCOL_FILES, org, protocol_named


@pytest.fixture(params=list(PROTOCOL_FILES), ids=list(PROTOCOL_FILES))
def protocol(request) -> Protocol:
    return protocol_named(request.param)


@pytest.fixture
def directory() -> Directory:
    return org()
