"""A page address the logged-in user has no page for (another role's page, or their first page's own
name, e.g. /dashboard while it is served at "/"). app/main.py moves the user to their first page
before this would run, so it draws nothing."""
