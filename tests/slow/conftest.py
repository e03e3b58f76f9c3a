"""Users every access test relies on, committed once into the shared deployment."""

from __future__ import annotations

import psycopg
import pytest

ADMIN_SUB = "user_admin"
REGULAR_SUB = "user_regular"
EMPTY_SUB_USER_ROLE = "admin"  # a row with an empty clerk id must not make a token without `sub` an admin


@pytest.fixture(scope="session")
def users(deployed):
    with psycopg.connect(deployed.dsn) as conn:
        conn.execute(
            "INSERT INTO public.users (clerk_user_id, role) VALUES (%s, 'admin'), (%s, 'user'), ('', %s)"
            " ON CONFLICT (clerk_user_id) DO NOTHING",
            (ADMIN_SUB, REGULAR_SUB, EMPTY_SUB_USER_ROLE),
        )
    return {"admin": ADMIN_SUB, "regular": REGULAR_SUB}
