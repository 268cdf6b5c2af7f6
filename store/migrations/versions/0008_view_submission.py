"""modal submissions by view id

`view_submission`: the answer to each modal submission, keyed by Slack's view id, so a second submission of the
same view (a replay within the signature window, a double click) gets the first one's answer and writes nothing.

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
        "view_submission",
        sa.Column("view_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("callback_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("received_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("view_id"),
    )


def downgrade() -> None:
    op.drop_table("view_submission")
