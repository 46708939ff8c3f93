"""Order events record when a step was written beside when it took effect: an automatic step takes
effect at its deadline, and a sweep after an outage records it later. Existing events were
recorded when they took effect.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_events") as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE order_events SET recorded_at = at")
    with op.batch_alter_table("order_events") as batch_op:
        batch_op.alter_column("recorded_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("order_events") as batch_op:
        batch_op.drop_column("recorded_at")
