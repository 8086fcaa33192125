"""Accounts: users with passwords, sign-in sessions, who the current request acts as."""
