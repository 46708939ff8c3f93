"""Warehouses: the company's places of business and the operating calendar behind every deadline.

Two roles share them: the System Administrator adds, modifies, closes and reopens warehouses and
sets each one's delivery SLA; the Product Manager sets how each one works. Both read the list.
Every service reaches only the actor's own company's warehouses (another company's is "not
found") and audits every change in the same transaction.

- rules.py: the limits, the views the pages read with their labels, and the checks of typed input.
- records.py: finding, showing, changing and auditing a warehouse inside the caller's unit of work.
- management.py: the warehouse list, and the System Administrator's add, modify, close and reopen.
- operations.py: the Product Manager's days, hours, processing time and closures; `calendar_of`.
- business_time.py: the business-time clock that every deadline is computed with.
"""
