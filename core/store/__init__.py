"""The transactional store: engine set-up and units of work (`database`), the tables (`models`)
and the schema's Alembic migrations (`migrations/`)."""
