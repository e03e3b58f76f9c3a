"""One Privileges resource makes an object's whole ACL the model's (providers/privileges.py), on a real database:
whatever any role holds beyond it goes (table, column and sequence privileges, grant options), what the model
lists is granted, a change it cannot finish rolls back whole, and its delete leaves the object to its owner. The
retired per-role kinds' deletes revoke nothing (a stack deployed before the Privileges kind deletes them on its first
up, after the Privileges resources have been applied)."""

from __future__ import annotations

import os

import psycopg
import pytest

from scheduler_kit.providers.grant import GrantProvider
from scheduler_kit.providers.privileges import (PrivilegesError, PrivilegesInputs, PrivilegesProvider,
                                                UnlistedPrivilegesProvider)

PREFIX = f"schedkit_privtest_{os.getpid()}"
READER, WRITER, STRANGER = (f"{PREFIX}_{r}" for r in ("reader", "writer", "stranger"))
TABLE = "public.accounts"
MODEL = PrivilegesInputs("table", TABLE, {
    "PUBLIC": {"privileges": [], "columns": {}},
    READER: {"privileges": ["SELECT"], "columns": {"UPDATE": ["enabled"]}},
    WRITER: {"privileges": ["INSERT", "SELECT"], "columns": {}},
})
EXPECTED = {READER: {"privileges": ["SELECT"], "columns": {"UPDATE": ["enabled"]}},
            WRITER: {"privileges": ["INSERT", "SELECT"], "columns": {}}}


@pytest.fixture
def database(cluster):
    name = cluster.create_database("schedkit_privileges")
    try:
        with psycopg.connect(cluster.admin_dsn_for(name), autocommit=True) as admin:
            for role in (READER, WRITER, STRANGER):
                admin.execute(f'CREATE ROLE "{role}"')
        with psycopg.connect(cluster.dsn_for(name), autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, enabled boolean, note text)")
        yield name
    finally:
        with psycopg.connect(cluster.admin_dsn_for(name), autocommit=True) as admin:
            admin.execute(f"DROP TABLE IF EXISTS {TABLE}")
            for role in (READER, WRITER, STRANGER):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        cluster.drop_database(name)


def acl(conn: psycopg.Connection) -> dict:
    return PrivilegesProvider().inspect(conn.cursor(), MODEL)


def test_the_objects_whole_acl_becomes_the_models(cluster, database):
    with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
        # What a platform's default privileges and hand grants leave: every kind of privilege the model does not list.
        conn.execute(f'GRANT ALL ON {TABLE} TO "{STRANGER}", PUBLIC')
        conn.execute(f'GRANT UPDATE (note) ON {TABLE} TO "{READER}"')
        conn.execute(f'GRANT SELECT ON {TABLE} TO "{WRITER}" WITH GRANT OPTION')
        conn.execute(f'GRANT USAGE ON SEQUENCE public.accounts_id_seq TO "{WRITER}"')
        before = acl(conn)
        assert before["grants"][STRANGER]["privileges"] and before["grant_options"] and before["sequence_grants"]
        with conn.transaction():
            PrivilegesProvider().apply(conn.cursor(), MODEL)
        after = acl(conn)
        assert after == {"grants": EXPECTED, "grant_options": {}, "sequence_grants": {}}
        # Applying again changes nothing (idempotent, as `make sql` needs).
        with conn.transaction():
            PrivilegesProvider().apply(conn.cursor(), MODEL)
        assert acl(conn) == after


def test_a_privilege_passed_on_by_a_listed_role_stops_the_step_and_nothing_commits(cluster, database):
    with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn, \
            psycopg.connect(cluster.admin_dsn_for(database), autocommit=True) as admin:
        conn.execute(f'GRANT SELECT ON {TABLE} TO "{WRITER}" WITH GRANT OPTION')
        conn.execute(f'GRANT ALL ON {TABLE} TO "{STRANGER}"')
        admin.execute(f'SET ROLE "{WRITER}"')
        admin.execute(f'GRANT SELECT ON {TABLE} TO "{READER}"')  # granted by writer, not by the owner
        admin.execute("RESET ROLE")
        before = acl(conn)
        with pytest.raises(PrivilegesError) as failure:
            with conn.transaction():
                PrivilegesProvider().apply(conn.cursor(), MODEL)
        assert str(failure.value).startswith(f"table {TABLE}: a role holds a privilege on it WITH GRANT OPTION")
        assert "dependent privileges exist" in str(failure.value) and "Nothing was changed." in str(failure.value)
        assert acl(conn) == before, "a failed step must leave the ACL as it found it"


def test_delete_leaves_the_object_to_its_owner_and_tolerates_it_gone(cluster, database):
    with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
        with conn.transaction():
            PrivilegesProvider().apply(conn.cursor(), MODEL)
        conn.execute(f'GRANT DELETE ON {TABLE} TO "{STRANGER}"')
        with conn.transaction():
            PrivilegesProvider().drop(conn.cursor(), MODEL)
        assert acl(conn) == {"grants": {}, "grant_options": {}, "sequence_grants": {}}
        conn.execute(f"DROP TABLE {TABLE}")
        assert acl(conn) is None
        with conn.transaction():
            PrivilegesProvider().drop(conn.cursor(), MODEL)  # already gone: nothing to do, no error


def test_the_retired_kinds_delete_revokes_nothing(cluster, database):
    """Their delete never connects: the provider is not even configured with a database here."""
    with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
        with conn.transaction():
            PrivilegesProvider().apply(conn.cursor(), MODEL)
        before = acl(conn)
        GrantProvider().delete(f"table:{TABLE}:{READER}", {"grantee": READER, "object_type": "table",
                                                            "object": TABLE, "privileges": ["SELECT"]})
        UnlistedPrivilegesProvider().delete(f"table:{TABLE}:unlisted", {"object_type": "table", "object": TABLE,
                                                                         "listed": [READER, WRITER]})
        assert acl(conn) == before == {"grants": EXPECTED, "grant_options": {}, "sequence_grants": {}}
        props = {"grantee": READER, "live": {"privileges": ["SELECT"]}}
        assert GrantProvider().read("x", props).outs == props
