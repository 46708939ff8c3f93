"""The catalogue: products, stock and prices per warehouse, product images, CSV import and export.

- rules.py: the limits, the price guard's arithmetic, the errors the pages show, checking and cleaning typed input;
- products.py: find, add, modify and delete products;
- product_images.py: a product's image: see it, preview an upload, save it, remove it;
- stock.py: the stock & price grid (read, check, preview, apply), stock receipts, the price history;
- planning.py: the catalogue as a unit of work found it, and checking stock and price edits against it;
- saving.py: writing planned changes (guarded updates, new stock levels, price history) and audit lines;
- csv_format.py: the CSV file itself: columns, limits, formula neutralisation, reading an upload;
- csv_export.py: exporting the catalogue as CSV;
- csv_import.py: checking a CSV file row by row, previewing and applying the import.
"""
