"""End-to-end test harness: the Slack stand-in, the signed client and the WSGI server live in `bot.standin`
(so `cstbot demo` ships them); this package re-exports them for the tests."""

from bot.standin import *  # noqa: F403
from bot.standin import __all__  # noqa: F401
