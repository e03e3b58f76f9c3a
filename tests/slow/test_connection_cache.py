"""The dynamic provider's kept logins (scheduler_kit.db.ConnectionCache): each operation still its own transaction,
nothing of one session reaching the next, a connection the server closed replaced, safe from several threads."""

import threading

import psycopg
import pytest

from scheduler_kit.db import ConnectionCache
from tests.support.model_db import connection_settings


@pytest.fixture
def database(cluster):
    name = cluster.create_database("schedkit_conncache")
    try:
        yield cluster.dsn_for(name)
    finally:
        cluster.drop_database(name)


def backend_pid(cur) -> int:
    return cur.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_one_login_serves_successive_transactions_each_committed(database):
    cache, settings = ConnectionCache(), connection_settings(database)
    with cache.transaction(settings) as cur:
        first = backend_pid(cur)
        cur.execute("CREATE TABLE public.t (x int)")
    with cache.transaction(settings) as cur:
        assert backend_pid(cur) == first
        assert cur.execute("SELECT count(*) FROM public.t").fetchone()[0] == 0  # the create was committed
        # Every transaction takes the deploy lock and bounds lock waits, as before.
        assert cur.execute("SHOW lock_timeout").fetchone()[0] == "30s"
        assert cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                           ).fetchone()[0] == 1
    assert cache.logins == 1
    cache.close()


def test_session_state_does_not_reach_the_next_operation(database):
    cache, settings = ConnectionCache(), connection_settings(database)
    with cache.transaction(settings) as cur:
        cur.execute("CREATE TEMPORARY TABLE leftover (x int)")
        cur.execute("SET search_path = pg_catalog")  # session-wide, outlives the transaction
        cur.execute("SELECT pg_advisory_lock(42)")  # a session lock
    with cache.transaction(settings) as cur:
        assert cur.execute("SELECT to_regclass('pg_temp.leftover')").fetchone()[0] is None
        assert cur.execute("SHOW search_path").fetchone()[0] != "pg_catalog"
        assert cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42").fetchone()[0] == 0
    assert cache.logins == 1
    cache.close()


def test_a_failed_transaction_rolls_back_and_its_connection_is_not_kept(database):
    cache, settings = ConnectionCache(), connection_settings(database)
    with pytest.raises(psycopg.errors.UndefinedTable):
        with cache.transaction(settings) as cur:
            cur.execute("CREATE TABLE public.kept (x int)")
            cur.execute("SELECT * FROM public.missing")
    with cache.transaction(settings) as cur:
        assert cur.execute("SELECT to_regclass('public.kept')").fetchone()[0] is None
    assert cache.logins == 2
    cache.close()


def test_a_connection_the_server_closed_is_replaced(database, cluster):
    cache, settings = ConnectionCache(), connection_settings(database)
    with cache.transaction(settings) as cur:
        pid = backend_pid(cur)
    with psycopg.connect(database, autocommit=True) as admin:  # the deploying role, a superuser on this profile
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    with cache.transaction(settings) as cur:
        assert backend_pid(cur) != pid
    assert cache.logins == 2
    cache.close()


def test_parallel_operations_each_have_a_connection_of_their_own(database):
    cache, settings = ConnectionCache(), connection_settings(database)
    with cache.transaction(settings) as cur:
        cur.execute("CREATE TABLE public.counter (n int)")
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(20):
                with cache.transaction(settings) as cur:
                    cur.execute("INSERT INTO public.counter VALUES (1)")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with cache.transaction(settings) as cur:
        assert cur.execute("SELECT count(*) FROM public.counter").fetchone()[0] == 80
    assert cache.logins <= 5
    cache.close()


def test_a_connection_lost_during_an_operation_fails_it_as_without_the_cache(database):
    """A deploy stopped by terminating its sessions (tests/support/deploy_steps.py) stays stopped: nothing is
    retried on a new login once the operation's transaction has begun."""
    cache, settings = ConnectionCache(), connection_settings(database)
    with cache.transaction(settings) as cur:
        cur.execute("CREATE TABLE public.t (x int)")
    with pytest.raises(psycopg.OperationalError):
        with cache.transaction(settings) as cur:
            with psycopg.connect(database, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s, 5000)", (backend_pid(cur),))
            cur.execute("INSERT INTO public.t VALUES (1)")
    with cache.transaction(settings) as cur:
        assert cur.execute("SELECT count(*) FROM public.t").fetchone()[0] == 0
    assert cache.logins == 2
    cache.close()
