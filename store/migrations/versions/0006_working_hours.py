"""working hours: each person's Slack time zone and "quiet until"; outbox rows held for working hours

`person.tz` (Slack's users.info `tz`, refreshed nightly; `tz_checked_at` when it was last asked) and
`person.quiet_until` (set by the person on the Home tab: routing treats them as away until then, and no push
reaches them before the working morning after it). `outbox.held_until`: the recipient's working morning a push
waits for (`cstbot schedule` counts them); `outbox.check_key`: what the dispatcher checks is still due before it
sends a reminder ("log:12:2026-11": the log is not submitted yet).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tz", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("tz_checked_at", store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("quiet_until", sa.Date(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_until", store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("check_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_index("ix_outbox_held_until", ["held_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_held_until")
        batch_op.drop_column("check_key")
        batch_op.drop_column("held_until")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("quiet_until")
        batch_op.drop_column("tz_checked_at")
        batch_op.drop_column("tz")
