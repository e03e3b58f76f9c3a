import pytest

from scheduler_kit.config import ConfigError, settings_from_mapping

BASE = {"host": "db.example.internal", "password": "s3cret"}


def test_defaults_follow_the_seed_and_protect_history_off_local():
    settings = settings_from_mapping(BASE, stack_name="staging")
    assert settings.admin.table == "public.users"
    assert (settings.admin.id_column, settings.admin.role_column, settings.admin.admin_value) == ("clerk_user_id", "role", "admin")
    assert settings.protect_history is True
    assert settings_from_mapping(BASE, stack_name="local").protect_history is False


def test_supabase_defaults_to_tls_and_skips_the_base():
    settings = settings_from_mapping({**BASE, "target": "supabase"})
    assert settings.connection.sslmode == "require"
    assert not settings.creates_supabase_base


@pytest.mark.parametrize(
    "override, key",
    [
        ({"host": None}, "scheduler-kit:host"),
        ({"port": "70000"}, "scheduler-kit:port"),
        ({"port": "five"}, "scheduler-kit:port"),
        ({"target": "mysql"}, "scheduler-kit:target"),
        ({"sslmode": "sometimes"}, "scheduler-kit:sslmode"),
        ({"protectHistory": "maybe"}, "scheduler-kit:protectHistory"),
        ({"adminTable": "users; drop table x"}, "scheduler-kit:adminTable"),
        ({"adminIdColumn": "clerk id"}, "scheduler-kit:adminIdColumn"),
    ],
)
def test_bad_settings_name_the_key(override, key):
    with pytest.raises(ConfigError) as error:
        settings_from_mapping({**BASE, **override})
    assert key in str(error.value)


def test_the_password_never_appears_in_the_redacted_form_or_repr():
    settings = settings_from_mapping(BASE)
    assert "s3cret" not in settings.connection.redacted()
    assert "s3cret" not in repr(settings)
    assert settings_from_mapping(BASE, with_password=False).connection.password is None


# libpq's messages (as psycopg raises them) for each cause, and the one line the kit makes of them.
LIBPQ = {
    "refused": 'connection failed: connection to server at "10.0.0.5", port 6543 failed: Connection refused\n'
               '\tIs the server running on that host and accepting TCP/IP connections?',
    "password": 'connection failed: connection to server at "10.0.0.5", port 6543 failed: FATAL:  password '
                'authentication failed for user "postgres"',
    "dns": "failed to resolve host 'db.nowhere.invalid': [Errno -2] Name or service not known",
    "timeout": 'connection failed: connection to server at "10.0.0.5", port 6543 failed: timeout expired',
    "database": 'connection failed: connection to server at "10.0.0.5", port 6543 failed: FATAL:  database '
                '"sched" does not exist',
    "tls": 'connection failed: connection to server at "10.0.0.5", port 6543 failed: server does not support SSL, '
           'but SSL was required',
    "pooler": 'connection failed: connection to server at "10.0.0.5", port 6543 failed: FATAL:  Tenant or user not found',
}


@pytest.mark.parametrize("cause, expected", [
    ("refused", "nothing accepts connections at db.example.internal:6543 (connection refused); check scheduler-kit:host"),
    ("password", "the server refused the password for user 'postgres'; check scheduler-kit:password"),
    ("dns", "the host name 'db.example.internal' does not resolve; check scheduler-kit:host"),
    ("timeout", "no answer from db.example.internal:6543 within 10 s"),
    ("database", 'the server says: database "sched" does not exist; check scheduler-kit:database'),
    ("tls", "the server does not offer TLS but sslmode is require; check scheduler-kit:sslmode"),
    ("pooler", "with the Supabase pooler the user is postgres.<project-ref>"),
])
def test_a_connection_failure_is_one_line_naming_where_what_and_the_setting(cause, expected):
    connection = settings_from_mapping({**BASE, "port": "6543", "sslmode": "require"}).connection
    line = connection.failure(LIBPQ[cause])
    assert line.startswith("cannot connect to postgres@db.example.internal:6543/postgres (sslmode=require): ")
    assert expected in line
    assert "\n" not in line and "\t" not in line and "s3cret" not in line
