"""The fault suite drives the real app like the end-to-end tests: the same fixtures, on SQLite and PostgreSQL."""

from tests.e2e.conftest import app_env, slack  # noqa: F401  (pytest fixtures)
