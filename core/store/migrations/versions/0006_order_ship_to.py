"""The ship-to address is part of the order: the name, phone, address and city the goods go to,
snapshotted when the order is placed (the buyer's registered ones, or another delivery address the
buyer app gives), so a later change of the buyer's address does not move a placed order.

Existing orders are filled from their buyer's registered address as it is now (correlated
subqueries: the same SQL on SQLite and PostgreSQL).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: orders column <- buyers column.
FROM_BUYER = {
    "ship_to_name": "name",
    "ship_to_phone": "phone",
    "ship_to_address": "address",
    "ship_to_city": "city",
}


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("ship_to_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ship_to_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("ship_to_address", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ship_to_city", sa.String(length=100), nullable=True))
    assignments = ", ".join(
        f"{column} = (SELECT buyers.{source} FROM buyers WHERE buyers.id = orders.buyer_id)"
        for column, source in FROM_BUYER.items()
    )
    op.execute(f"UPDATE orders SET {assignments}")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("ship_to_city")
        batch_op.drop_column("ship_to_address")
        batch_op.drop_column("ship_to_phone")
        batch_op.drop_column("ship_to_name")
