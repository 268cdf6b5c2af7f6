"""End-to-end test harness: the Slack stand-in, the signed client and the WSGI server live in `bot.demo.standin`
(so `cstbot demo` ships them); this package re-exports them for the tests."""

from bot.demo.standin import *  # noqa: F403
from bot.demo.standin import __all__  # noqa: F401
