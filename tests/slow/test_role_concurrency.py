"""Roles are cluster-wide: two deploys of two databases of one cluster (two stacks, or two test workers) apply the
same role statements at the same time. ALTER ROLE rewrites the role's row even when nothing changes, and the second
writer then fails with "tuple concurrently updated" (seen in CI with two workers). The kit's role statements write
a role's row only when something differs (sql/role/alter.sql, grant_membership.sql)."""

from __future__ import annotations

import os
import threading

import psycopg
import pytest

from scheduler_kit.providers.role import RoleInputs, RoleProvider

# Roles of this test's own, shaped as the model's (an API role, one that bypasses RLS, a login role that may switch
# to both): the cluster's real API roles are shared by every other test running at the same time.
PREFIX = f"schedkit_roletest_{os.getpid()}"
ROLES = [RoleInputs(name=f"{PREFIX}_api"), RoleInputs(name=f"{PREFIX}_service", bypass_rls=True),
         RoleInputs(name=f"{PREFIX}_login", login=True, member_of=[f"{PREFIX}_api", f"{PREFIX}_service"])]


def role_rows(admin: psycopg.Connection) -> dict:
    """Each role's pg_authid row version (xmin) and its memberships' rows: what a write would change."""
    names = [r.name for r in ROLES]
    rows = dict(admin.execute("SELECT rolname, xmin::text FROM pg_catalog.pg_authid WHERE rolname = ANY(%s)",
                              (names,)).fetchall())
    rows["memberships"] = admin.execute(
        "SELECT array_agg(m.xmin::text ORDER BY m.roleid, m.member) FROM pg_catalog.pg_auth_members m"
        " JOIN pg_catalog.pg_roles r ON r.oid = m.member WHERE r.rolname = ANY(%s)", (names,)).fetchone()[0]
    return rows


def apply_roles(conn: psycopg.Connection) -> None:
    provider = RoleProvider()
    for inputs in ROLES:
        for statement in provider.script(inputs):
            conn.execute(statement)


@pytest.fixture
def database(cluster):
    name = cluster.create_database("schedkit_roles")
    try:
        with psycopg.connect(cluster.dsn_for(name), autocommit=True) as conn:
            apply_roles(conn)  # created and committed, as by an earlier deploy
        yield name
    finally:
        with psycopg.connect(cluster.admin_dsn_for(name), autocommit=True) as admin:
            for inputs in reversed(ROLES):
                admin.execute(f'DROP ROLE IF EXISTS "{inputs.name}"')
        cluster.drop_database(name)


def test_role_statements_on_roles_already_right_write_nothing(cluster, database):
    with psycopg.connect(cluster.admin_dsn_for(database), autocommit=True) as admin:
        before = role_rows(admin)
        with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
            apply_roles(conn)
        assert role_rows(admin) == before


def test_two_deploys_applying_the_roles_at_once_both_succeed(cluster, database):
    """The first deploy's transaction is open while the second applies the same statements: neither waits for the
    other nor fails."""
    errors: list[BaseException] = []
    with psycopg.connect(cluster.dsn_for(database)) as first, \
            psycopg.connect(cluster.dsn_for(database), autocommit=True) as second:
        apply_roles(first)  # its transaction stays open

        def apply_second():
            try:
                second.execute("SET lock_timeout = '5s'")
                apply_roles(second)
            except BaseException as error:  # noqa: BLE001 - asserted below
                errors.append(error)

        thread = threading.Thread(target=apply_second)
        thread.start()
        thread.join(10)
        first.commit()
        thread.join(10)
    assert not errors, errors


def test_a_role_that_differs_is_still_set(cluster, database):
    """Writing only on a difference must not stop the statements from correcting a role."""
    api, service, login = (r.name for r in ROLES)
    with psycopg.connect(cluster.admin_dsn_for(database), autocommit=True) as admin:
        admin.execute(f'ALTER ROLE "{api}" BYPASSRLS')
        admin.execute(f'ALTER ROLE "{login}" NOLOGIN')
        admin.execute(f'REVOKE "{service}" FROM "{login}"')
        with psycopg.connect(cluster.dsn_for(database), autocommit=True) as conn:
            apply_roles(conn)
        attributes = {name: (bypass, can_login) for name, bypass, can_login in admin.execute(
            "SELECT rolname, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = ANY(%s)", ([api, login],))}
        assert attributes == {api: (False, False), login: (False, True)}
        assert admin.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (login, service)).fetchone() == (True,)
