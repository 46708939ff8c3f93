"""The parts of the Product Management screen (app/pages/product_management.py lays them out in tabs).

- `labels`: the screen's words for product statuses and filters, and the image types it accepts.
- `refusals`: a catalogue refusal as the person needs to see it: every bad cell, large price changes
  side by side.
- `product_list`: the Products tab: search and filters, the list per warehouse, opening a product.
- `product_detail`: one product: its details, modify, image, delete and price history.
- `stock_grid`: the Stock & prices tab: the editable grid, the preview of the changes and the
  confirmation of large price changes.
- `add_product`: the Add product tab.
- `csv_files`: the CSV import / export tab.

Each part takes the store and the acting Product Manager from the page, calls core.catalogue and
shows the result or the refusal through app.ui.
"""
