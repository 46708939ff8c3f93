"""Accounts: logging in, login sessions, passwords and their policy, the audit log, and the
bank's back office (companies, users, blocks, resets)."""
