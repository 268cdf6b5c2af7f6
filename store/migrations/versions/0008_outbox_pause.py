"""a Slack method's pause after a 429, shared by every dispatcher

`outbox_pause`: when Slack answers a method with 429 and Retry-After, the dispatcher that met it records until
when the method waits; every dispatcher honours it (they share the app's rate limit), so a second worker does
not keep sending into the limit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_pause",
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("until", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("method"),
    )


def downgrade() -> None:
    op.drop_table("outbox_pause")
