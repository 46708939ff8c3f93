"""Orders: the lifecycle table, applying its steps, the Product Manager's and the buyer channel's
services, and the scheduler's deadline sweep."""
