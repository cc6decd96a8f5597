"""Accounts: users and roles, passwords and sessions, logins, e-mail links and verification,
notifications, and the audit page's queries."""
