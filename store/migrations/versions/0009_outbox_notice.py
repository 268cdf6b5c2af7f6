"""outbox rows that hold a notice, rendered by the dispatcher when it sends

`outbox.notice`, `outbox.recipient_id`, `outbox.context`: the request that writes an item's notices no
longer renders their Block Kit; the dispatcher renders it at the call.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.create_foreign_key("fk_outbox_recipient_id_person", "person", ["recipient_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbox_recipient_id_person", type_="foreignkey")
        batch_op.drop_column("context")
        batch_op.drop_column("recipient_id")
        batch_op.drop_column("notice")
