"""Parts of the screens about warehouses that more than one page draws.

- `app.warehouses.table`: the warehouse list as a table (Warehouse Management and Settings).
"""
