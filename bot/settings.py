"""Settings from the environment and a `.env` file. One class; secrets are SecretStr and never logged."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from routing.errors import ConfigError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = "sqlite:///cstbot.db"
    cstbot_protocol: Path | None = None
    cstbot_timezone: str = "America/Chicago"
    # A decision that sends more messages than this (a training request passed on to every facilitator) writes
    # one "ask these N" outbox row, which the dispatcher expands, instead of N rows before Slack gets its answer.
    cstbot_fanout_threshold: int = 50

    @field_validator("cstbot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as America/Chicago)") from exc
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.cstbot_timezone)

    def require(self, *names: str) -> None:
        """Fail with one line naming every missing variable a command needs."""
        missing = self.missing(*names)
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                "export it or add it to .env (see README, 'Configuration')"
            )

    def missing(self, *names: str) -> list[str]:
        """The environment variable names of the settings among `names` that are not set."""
        return [n.upper() for n in names if not _present(getattr(self, n))]

    def secret(self, name: str) -> str:
        self.require(name)
        value = getattr(self, name)
        return value.get_secret_value()


def _present(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return value is not None and value != ""


def load_settings(**overrides) -> Settings:
    """Read settings, turning pydantic's validation report into one line per problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None
