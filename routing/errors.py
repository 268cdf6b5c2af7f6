"""Errors a user can act on. The CLI prints them as one line; Slack handlers turn them into replies."""

from __future__ import annotations


class CstbotError(Exception):
    """Base for every error whose message is written for the person who has to fix it."""

    exit_code = 1


class ConfigError(CstbotError):
    """A setting is missing or invalid (environment, .env, protocol file)."""

    exit_code = 2


class ProtocolError(ConfigError):
    """A protocol file is invalid. `problems` holds every problem found, each as 'path.in.file: what is wrong'."""

    def __init__(self, source: str, problems: list[str] | tuple[str, ...]):
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''} in the protocol file:\n{listing}")


class Refused(CstbotError):
    """The routing engine will not do what was asked (not the owner, item closed, no tier above...).

    `code` is stable (handlers and tests branch on it); `message` is polite and written for the person who tried.
    """

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)
