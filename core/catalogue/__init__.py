"""The catalogue: products, stock and prices per warehouse, product images, CSV import and export."""
