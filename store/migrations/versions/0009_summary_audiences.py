"""the summaries' audiences, outbox lanes and stored files, summary editions

`audience_member.region/zone/districts`: an area supervisor's area. `outbox.lane`: rows sent in order (a
summary's message before its files). `outbox_blob`: the files `files.upload` rows share, stored once.
`summary_edition`: each sending of a month's summary (revision 0, then one per late log), with what each team's
log counted and who got it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audience_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("districts", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_lane"), ["lane"], unique=False)
    op.create_table(
        "outbox_blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "summary_edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "revision", name="uq_summary_edition"),
    )
    with op.batch_alter_table("summary_edition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_summary_edition_month"), ["month"], unique=False)
    # Months whose summary the earlier code posted (a `scheduled_delivery` per recipient) count as sent, so the
    # first run after the upgrade does not send them again. Their edition knows no figures or readers: a late
    # log of such a month is recorded in a revision that reaches nobody.
    months = op.get_bind().execute(
        sa.text("SELECT DISTINCT period FROM scheduled_delivery WHERE kind = 'monthly_summary'")
    ).scalars().all()
    if months:
        edition = sa.table("summary_edition", sa.column("month", sa.String), sa.column("revision", sa.Integer),
                           sa.column("figures", sa.JSON), sa.column("recipients", sa.JSON),
                           sa.column("changes", sa.JSON), sa.column("created_at", store.types.UTCDateTime))
        now = store.types.utcnow()
        op.bulk_insert(edition, [{"month": m, "revision": 0, "figures": {}, "recipients": [], "changes": [],
                                  "created_at": now} for m in months])


def downgrade() -> None:
    with op.batch_alter_table("summary_edition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summary_edition_month"))
    op.drop_table("summary_edition")
    op.drop_table("outbox_blob")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_lane"))
        batch_op.drop_column("lane")
    with op.batch_alter_table("audience_member", schema=None) as batch_op:
        batch_op.drop_column("districts")
        batch_op.drop_column("zone")
        batch_op.drop_column("region")
