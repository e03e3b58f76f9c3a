"""What every SQL object provider shares: configuration, transactions, drift detection and typed results.

A provider subclass says how to apply its object (idempotently), how to inspect it (the live state, or None when it
is gone) and how to drop it. Outputs carry the inputs plus two snapshots of the live state: `applied` (taken right
after the kit wrote the object) and `live` (taken at the last read). A refresh that finds them different is drift,
and the next diff proposes an update that writes the object again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from typing import Any, ClassVar, Generic, Optional, TypeVar

import psycopg
import pulumi
from psycopg import errors
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from .. import TYPE_PREFIX
from ..config import ConnectionSettings, settings_from_mapping
from ..db import ConnectionCache, DatabaseUnreachable, fetch_one_dict, one_query, sql_text
from ..quick_exit import end_provider_at_once

OUTPUT_KEYS = ("live", "applied")
InputsT = TypeVar("InputsT")


# The first failure to reach the database in this provider process: later operations repeat it briefly.
_unreachable: list[str] = []
# The provider process's logins, kept between operations (each still its own transaction: see db.ConnectionCache).
connections = ConnectionCache()


@contextlib.contextmanager
def _database_transaction(settings: ConnectionSettings):
    """`transaction`, except that an unreachable database is reported in one line, without a traceback.

    The SDK's provider server formats every exception with traceback.format_exc(), which honours
    sys.tracebacklimit; once the database cannot be reached a traceback says nothing the message does not, so this
    provider process stops printing them. Operations that start after the first failure fail at once with a short
    line pointing at it, instead of each connecting and repeating the whole diagnosis.
    """
    if _unreachable:
        raise ConnectionError(f"skipped: the database cannot be reached ({_unreachable[0].split(': ', 1)[0]}); "
                              "see the first error")
    try:
        with connections.transaction(settings) as cur:
            yield cur
    except DatabaseUnreachable as error:
        sys.tracebacklimit = 0
        _unreachable.append(str(error))
        raise ConnectionError(str(error)) from None


class SqlObjectProvider(ResourceProvider, Generic[InputsT]):
    """Subclasses set `inputs_type`, `replace_on` and implement apply, inspect, drop and object_id."""

    # The connection comes from the stack config at configure time, so no secret is captured in the pickled provider.
    serialize_as_secret_always = False
    inputs_type: ClassVar[type]
    # Input fields whose change means a different object (its name): replace instead of update.
    replace_on: ClassVar[tuple[str, ...]] = ()
    # Delete leaves the object in place when something outside this stack's control still depends on it (a table
    # kept by retain_on_delete uses a function in a CHECK; a role has privileges in another database).
    keep_when_depended_on: ClassVar[bool] = False
    # Fields the provider records itself (whether it created or adopted the object): kept from the old state.
    provider_owned: ClassVar[tuple[str, ...]] = ()

    _connection: Optional[ConnectionSettings] = None

    # --- to implement -----------------------------------------------------------------------------------------
    def script(self, inputs: InputsT) -> list[str]:
        """The idempotent statements that bring the object to the inputs (also what `make sql` writes)."""
        raise NotImplementedError

    def apply(self, cur: psycopg.Cursor, inputs: InputsT) -> None:
        # The object's statements in one round trip, inside the operation's transaction (and its deploy lock): with
        # no parameters psycopg sends them as one simple query, which PostgreSQL runs in order; the first that fails
        # raises its own error and the transaction rolls back, as one execute per statement did.
        statements = self.script(inputs)
        if statements:
            cur.execute(one_query(statements))

    def inspect(self, cur: psycopg.Cursor, inputs: InputsT) -> Optional[dict[str, Any]]:
        raise NotImplementedError

    def drop(self, cur: psycopg.Cursor, inputs: InputsT) -> None:
        raise NotImplementedError

    def object_id(self, inputs: InputsT) -> str:
        raise NotImplementedError

    def validate(self, inputs: InputsT) -> list[str]:
        """Problems with the inputs, each naming the field: `field: what is wrong`."""
        return []

    # --- plumbing ---------------------------------------------------------------------------------------------
    def configure(self, req: ConfigureRequest) -> None:
        self._connection = settings_from_mapping(req.config).connection
        end_provider_at_once(connections.close)  # only the provider's own process configures providers

    @property
    def connection(self) -> ConnectionSettings:
        if self._connection is None:
            raise RuntimeError("the provider was not configured with the stack's database settings")
        return self._connection

    def to_inputs(self, props: dict[str, Any]) -> InputsT:
        names = {f.name for f in dataclasses.fields(self.inputs_type)}
        return self.inputs_type(**{k: v for k, v in props.items() if k in names})

    def _outputs(self, inputs: InputsT, live: Optional[dict], applied: Optional[dict]) -> dict[str, Any]:
        return {**dataclasses.asdict(inputs), "live": live, "applied": applied}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        known = {f.name for f in dataclasses.fields(self.inputs_type)}
        failures = [
            CheckFailure(key, "unknown property")
            for key in news
            if key not in known and key not in OUTPUT_KEYS and not key.startswith("__")
        ]
        if failures:
            return CheckResult(news, failures)
        try:
            inputs = self.to_inputs(news)
        except TypeError as exc:
            return CheckResult(news, [CheckFailure("", str(exc))])
        for problem in self.validate(inputs):
            field, _, reason = problem.partition(": ")
            failures.append(CheckFailure(field, reason or problem))
        return CheckResult(news, failures)

    def _carry_owned(self, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return {**news, **{name: olds.get(name) for name in self.provider_owned}}

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = self._carry_owned(olds, news)
        fields = [f.name for f in dataclasses.fields(self.inputs_type)]
        changed = [name for name in fields if olds.get(name) != news.get(name)]
        drifted = olds.get("live") != olds.get("applied")
        replaces = [name for name in changed if name in self.replace_on]
        return DiffResult(
            changes=bool(changed) or drifted,
            replaces=replaces,
            stables=[name for name in fields if name not in changed],
            delete_before_replace=True,
        )

    def _write(self, inputs: InputsT, **apply_options: Any) -> dict[str, Any]:
        """Apply and snapshot in one transaction: the outputs of a create or an update."""
        with _database_transaction(self.connection) as cur:
            self.apply(cur, inputs, **apply_options)
            live = self.inspect(cur, inputs)
        return self._outputs(inputs, live, live)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.to_inputs(props)
        return CreateResult(self.object_id(inputs), self._write(inputs))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.to_inputs(props)
        with _database_transaction(self.connection) as cur:
            live = self.inspect(cur, inputs)
        if live is None:
            # Gone: the engine drops it from state, and the next up creates it again.
            return ReadResult("", {})
        return ReadResult(id_, self._outputs(inputs, live, props.get("applied")))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._write(self.to_inputs(self._carry_owned(olds, news))))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = self.to_inputs(props)
        with _database_transaction(self.connection) as cur:
            try:
                with cur.connection.transaction():
                    self.drop(cur, inputs)
            except errors.DependentObjectsStillExist:
                if not self.keep_when_depended_on:
                    raise


class SqlObject(Resource):
    """Base of the kit's dynamic resources: `Kind(name, inputs, opts)`, outputs `live` and `applied` for every kind."""

    provider_type: ClassVar[type[SqlObjectProvider]]
    live: pulumi.Output[Any]
    applied: pulumi.Output[Any]

    def __init__(self, name: str, inputs: Any, opts: Optional[pulumi.ResourceOptions] = None):
        props = {**dataclasses.asdict(inputs), "live": None, "applied": None}
        super().__init__(self.provider_type(), name, props, opts)


def sql_resource_type(kind: str) -> dict[str, str]:
    """Keyword arguments for `class X(SqlObject, **sql_resource_type("X"))`: one type-token prefix everywhere."""
    return {"module": TYPE_PREFIX, "name": kind}


def table_exists(cur: psycopg.Cursor, table: str) -> bool:
    row = fetch_one_dict(cur, sql_text("common/table_exists.sql"), {"table": table})
    return bool(row and row["present"])
