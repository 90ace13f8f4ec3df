"""Accounts made from the server host (first admin, benchmark and test clinicians)."""

from __future__ import annotations

from companion.settings import Settings


def ensure_account(settings: Settings, username: str, role: str, password: str) -> str:
    """The id of this account, created (in the installation's practice) if missing."""
    from session_server.app import open_stores

    store, accounts, _ = open_stores(settings)
    try:
        existing = accounts.find(username)
        if existing is not None:
            return existing
        return accounts.create_user(store.ensure_practice(), username, role, password).user_id
    finally:
        store.engine.dispose()
