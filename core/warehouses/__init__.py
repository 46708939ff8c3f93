"""Warehouses: adding, changing and closing them, their operating hours and closures, and the
business-time clock that every deadline is computed with."""
