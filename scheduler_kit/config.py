"""Stack configuration: reading and validation in one place, with one error type.

Keys live in the project's namespace (`scheduler-kit:<key>`). The database password is read as a secret so it never
reaches state, logs or previews in clear text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

TARGETS = ("postgres", "supabase")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_QUALIFIED = re.compile(r"^([A-Za-z_][A-Za-z0-9_$]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}$")


class ConfigError(ValueError):
    """A stack setting is missing or invalid; the message names the key and the fix."""


@dataclass(frozen=True)
class ConnectionSettings:
    host: str
    port: int
    database: str
    user: str
    password: Optional[str] = field(default=None, repr=False)
    sslmode: str = "prefer"
    connect_timeout: int = 10

    def conninfo(self) -> str:
        """A libpq keyword string; psycopg quotes the values."""
        from psycopg.conninfo import make_conninfo

        params = dict(
            host=self.host,
            port=str(self.port),
            dbname=self.database,
            user=self.user,
            sslmode=self.sslmode,
            connect_timeout=str(self.connect_timeout),
            application_name="scheduler-kit",
        )
        if self.password:
            params["password"] = self.password
        return make_conninfo(**params)

    def redacted(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database} (sslmode={self.sslmode})"

    def failure(self, libpq_message: str) -> str:
        """One line for a failed connection: where, what failed, what to check. Never the password."""
        return f"cannot connect to {self.redacted()}: {_diagnose(self, libpq_message)}"


_PASSWORD = "check scheduler-kit:password (`pulumi config set --secret scheduler-kit:password`)"


def _diagnose(c: ConnectionSettings, message: str) -> str:
    """What failed and what to check, from libpq's message (several lines, with server prefixes) for one cause."""
    text = " ".join(message.split())
    lower = text.lower()
    where = f"{c.host}:{c.port}"
    rules = (
        ("password authentication failed", f"the server refused the password for user {c.user!r}; {_PASSWORD}"),
        ("no password supplied", f"the server wants a password for user {c.user!r} and the stack has none; {_PASSWORD}"),
        ("tenant or user not found", f"the pooler at {where} does not know user {c.user!r}; with the Supabase "
                                     "pooler the user is postgres.<project-ref> (check scheduler-kit:user)"),
        ("connection refused", f"nothing accepts connections at {where} (connection refused); check "
                               "scheduler-kit:host and scheduler-kit:port, and that the server is running"),
        ("name or service not known", f"the host name {c.host!r} does not resolve; check scheduler-kit:host"),
        ("failed to resolve host", f"the host name {c.host!r} does not resolve; check scheduler-kit:host"),
        ("could not translate host name", f"the host name {c.host!r} does not resolve; check scheduler-kit:host"),
        ("timeout expired", f"no answer from {where} within {c.connect_timeout} s; check scheduler-kit:host and "
                            "scheduler-kit:port and any firewall (Supabase's direct host is IPv6-only: use the "
                            "session pooler host and port 5432 on an IPv4 network)"),
        ("network is unreachable", f"{where} is not reachable from this machine (network unreachable; an IPv6-only "
                                   "host on an IPv4 network?); check scheduler-kit:host"),
        ("server does not support ssl", f"the server does not offer TLS but sslmode is {c.sslmode}; check "
                                        "scheduler-kit:sslmode"),
        ("ssl", f"the TLS handshake failed ({text[text.lower().find('ssl'):][:80]}); check scheduler-kit:sslmode "
                "and that the port is a PostgreSQL port"),
        ("does not exist", "the server says: " + text.split("FATAL:", 1)[-1].strip() + "; check scheduler-kit:database "
                           "and scheduler-kit:user"),
        ("no pg_hba.conf entry", f"the server does not accept user {c.user!r} from this machine (pg_hba.conf); "
                                 "ask its administrator, or check scheduler-kit:sslmode"),
        ("too many connections", "the server has no free connection slots; try again, or use a pooler"),
    )
    for needle, explanation in rules:
        if needle in lower:
            return explanation
    last = text.split(" failed: ", 1)[-1].replace("FATAL: ", "").strip()
    return f"{last or 'the connection failed'}; check the scheduler-kit:host, port, user, password and sslmode settings"


@dataclass(frozen=True)
class AdminLookup:
    """Where the admin check looks: `EXISTS (SELECT 1 FROM table WHERE id_column = jwt.sub AND role_column = value)`."""

    table: str = "public.users"
    id_column: str = "clerk_user_id"
    role_column: str = "role"
    admin_value: str = "admin"

    @property
    def schema_and_table(self) -> tuple[str, str]:
        schema, _, table = self.table.rpartition(".")
        return (schema or "public", table)


@dataclass(frozen=True)
class StackSettings:
    connection: ConnectionSettings
    target: str = "postgres"
    admin: AdminLookup = AdminLookup()
    # True on every stack but the local default: the history tables are protected and survive a destroy.
    protect_history: bool = True
    jobs_file: str = "jobs.yaml"
    # Existing history rows that break a rule are kept as they are (its constraint is added NOT VALID) instead of
    # refusing the deploy (scheduler_kit/adoption.py).
    keep_invalid_rows: bool = False

    @property
    def creates_supabase_base(self) -> bool:
        return self.target == "postgres"


def _require_identifier(key: str, value: str, qualified: bool = False) -> str:
    pattern = _QUALIFIED if qualified else _IDENT
    if not pattern.match(value):
        what = "schema.table or table" if qualified else "a plain SQL identifier"
        raise ConfigError(
            f"scheduler-kit:{key} = {value!r} is not {what} (letters, digits, _ and $, at most 63 characters); "
            f"fix it with `pulumi config set scheduler-kit:{key} <value>`"
        )
    return value


def settings_from_mapping(get: Mapping[str, Any] | Any, stack_name: str = "", with_password: bool = True) -> StackSettings:
    """Builds settings from anything with `get(key)` (a `pulumi.Config` or a dict); raises ConfigError.

    The resources never get the password as an input (the providers read it from the stack config at configure
    time), so it never reaches state; load_stack_settings passes with_password=False, and the program reads the
    secret only for its reachability check (program_connection).
    """

    def raw(key: str) -> Optional[str]:
        value = get.get(key)
        return None if value is None or value == "" else str(value)

    host = raw("host")
    if not host:
        raise ConfigError(
            "scheduler-kit:host is not set; point the stack at a database with "
            "`pulumi config set scheduler-kit:host <host>` (the local stack is set up by `make stack`)"
        )
    port_text = raw("port") or "5432"
    try:
        port = int(port_text)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(f"scheduler-kit:port = {port_text!r} is not a TCP port (1-65535)") from None
    target = raw("target") or "postgres"
    if target not in TARGETS:
        raise ConfigError(
            f"scheduler-kit:target = {target!r}; use one of {', '.join(TARGETS)} "
            "(supabase: the roles and the auth schema already exist and are left alone)"
        )
    sslmode = raw("sslmode") or ("require" if target == "supabase" else "prefer")
    if sslmode not in SSLMODES:
        raise ConfigError(f"scheduler-kit:sslmode = {sslmode!r}; use one of {', '.join(SSLMODES)}")
    protect_text = raw("protectHistory")
    if protect_text is None:
        protect = stack_name != "local"
    elif protect_text.lower() in ("true", "false"):
        protect = protect_text.lower() == "true"
    else:
        raise ConfigError(f"scheduler-kit:protectHistory = {protect_text!r}; use true or false")
    keep_text = raw("keepInvalidRows") or "false"
    if keep_text.lower() not in ("true", "false"):
        raise ConfigError(f"scheduler-kit:keepInvalidRows = {keep_text!r}; use true (keep history rows that break a "
                          "rule, their constraints NOT VALID) or false (the default: refuse, naming every row to fix)")
    admin = AdminLookup(
        table=_require_identifier("adminTable", raw("adminTable") or AdminLookup.table, qualified=True),
        id_column=_require_identifier("adminIdColumn", raw("adminIdColumn") or AdminLookup.id_column),
        role_column=_require_identifier("adminRoleColumn", raw("adminRoleColumn") or AdminLookup.role_column),
        admin_value=raw("adminRoleValue") or AdminLookup.admin_value,
    )
    connection = ConnectionSettings(
        host=host,
        port=port,
        database=raw("database") or "postgres",
        user=raw("user") or "postgres",
        password=raw("password") if with_password else None,
        sslmode=sslmode,
    )
    return StackSettings(
        connection=connection,
        target=target,
        admin=admin,
        protect_history=protect,
        jobs_file=raw("jobsFile") or "jobs.yaml",
        keep_invalid_rows=keep_text.lower() == "true",
    )


def load_stack_settings() -> StackSettings:
    """The settings of the running Pulumi stack."""
    import pulumi

    return settings_from_mapping(pulumi.Config("scheduler-kit"), pulumi.get_stack(), with_password=False)


def program_connection(settings: StackSettings) -> ConnectionSettings:
    """The stack's connection with its password, for the program's check that the database can be reached.

    Read from the raw stack config (already decrypted for the program by the engine) so that no secret-as-plaintext
    warning is logged; the value goes into no resource input and no output.
    """
    import dataclasses

    from pulumi.runtime import get_config

    password = get_config("scheduler-kit:password")
    return dataclasses.replace(settings.connection, password=str(password) if password else None)
