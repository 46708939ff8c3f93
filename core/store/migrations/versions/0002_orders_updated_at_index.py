"""Index orders by updated_at: the analytics sync reads the orders changed since its watermark.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_updated_at", "orders", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_updated_at", table_name="orders")
