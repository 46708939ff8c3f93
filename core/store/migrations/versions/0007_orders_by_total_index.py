"""Index a company's orders by total: Sales Management's "Total, largest first" reads one page of
them instead of sorting every order of the company (measured in bench/order_search.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_company_total_amount", "orders", ["company_id", "total_amount"])


def downgrade() -> None:
    op.drop_index("ix_orders_company_total_amount", table_name="orders")
