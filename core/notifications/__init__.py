"""Notifications: what each seller's staff member is told of, in the portal (always) and by email (by
their choice). Product Managers hear of orders, money and stock; System Administrators of warehouse
closures and the payout account.

- `kinds`: each kind's audience, title, whether it may go by email, and `sentence(kind, facts,
  order_number)`, the plain-text sentence a person reads, built from the facts the row keeps.
- `notify`: notifications written in the transaction of what caused them (an order step, in both
  shapes of core.orders.effects; a payout paid; the payout account changed), exactly once per user,
  kind and subject.
- `queue`: each new notification's email, queued in the same transaction for users with a verified
  address who chose its kind (at once, or at their daily digest time).
- `warnings`: the scheduler's scan of what time brings (the time to confirm running out, packing
  overdue, a complaint's last 12 hours, low stock, a closure tomorrow), each told once.
- `inbox`: the acting user's notifications in the portal (unread count, newest, mark read).
- `preferences`: the user's verified email address, kinds by email, immediate or daily digest.
- `mailer`: sending the queued emails, alone or as a digest, with retries.
"""
