"""Observing the access matrix of a database: every cell of the matrix file, for every token shape of its actor, run
as PostgREST would run it (scheduler_kit.access.probe), with the catalog's reasons beside each outcome. What is
recorded is what happened, not what the file expects; the file's outcome is kept beside it for comparison."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import psycopg

from scheduler_kit.access.actors import VARIANTS, token_for
from scheduler_kit.access.causes import Catalog, explain, read_catalog
from scheduler_kit.access.cells import MATRIX_PATH, Cell, MatrixFileError, load_matrix
from scheduler_kit.access.probe import expected_count, run, seed, statement, totals
from scheduler_kit.db import sql_text
from scheduler_kit.gateway import Gateway, TokenRejected
from scheduler_kit.tokens import TokenFactory

MIXED = "mixed"  # the token shapes of one actor did not all behave alike


class ObserveError(RuntimeError):
    """The matrix cannot be observed (no connection, the kit is not deployed); the message says what to do."""


@dataclass
class ObservedCell:
    cell: Cell
    by_variant: dict[str, str]  # token shape -> outcome
    causes: list[dict]  # one per distinct role the actor's tokens resolved to (or the gateway's refusals)

    @property
    def observed(self) -> str:
        outcomes = set(self.by_variant.values())
        return outcomes.pop() if len(outcomes) == 1 else MIXED

    @property
    def differs(self) -> bool:
        return self.observed != self.cell.expected

    @property
    def row(self) -> str:
        """The matrix row: object and operation (an UPDATE names its column)."""
        return f"{self.cell.object} {self.cell.operation}" + (f" {self.cell.column}" if self.cell.column else "")

    @property
    def key(self) -> tuple[str, str]:
        return self.row, self.cell.actor

    def as_dict(self) -> dict:
        return {"object": self.cell.object, "kind": self.cell.kind, "operation": self.cell.operation,
                "column": self.cell.column, "actor": self.cell.actor, "observed": self.observed,
                "expected": self.cell.expected, "differs": self.differs,
                "by_token_shape": dict(sorted(self.by_variant.items())), "causes": self.causes}


@dataclass
class Observation:
    target: str
    database: str  # where, without credentials
    matrix_file: str
    actors: list[str]
    cells: list[ObservedCell]
    catalog: Catalog
    seconds: float = field(default=0.0, compare=False)

    @property
    def differing(self) -> list[ObservedCell]:
        return [c for c in self.cells if c.differs]

    def rows(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in self.cells:
            seen.setdefault(c.row)
        return list(seen)

    def by_key(self) -> dict[tuple[str, str], ObservedCell]:
        return {c.key: c for c in self.cells}

    def as_dict(self) -> dict:
        """Stable: the matrix file's order of rows and actors, sorted token shapes; no timings."""
        return {"target": self.target, "database": self.database, "matrix_file": self.matrix_file,
                "actors": self.actors, "differing": len(self.differing),
                "cells": [c.as_dict() for c in self.cells],
                "policies": [p.as_dict() for p in self.catalog.policies],
                "grants": self.catalog.grant_lines()}


def _where(dsn: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"{info.get('user', '?')}@{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '?')}"


def _causes(conn: psycopg.Connection, catalog: Catalog, gateway: Gateway, signed: dict, cell: Cell) -> list[dict]:
    causes: dict[str, dict] = {}
    for variant in VARIANTS[cell.actor]:
        try:
            role = gateway.authenticate(signed[cell.actor, variant]).role
        except TokenRejected as refusal:
            causes.setdefault(f"gateway {refusal.code}", {"gateway": f"{refusal.code} {refusal.message}",
                                                          "summary": f"the gateway refuses the token: {refusal}"})
            continue
        if role not in causes:
            causes[role] = explain(conn, catalog, cell, role)
    return [causes[k] for k in sorted(causes)]


def observe(actor_dsn: str, target: str = "postgres", matrix_path: Path = MATRIX_PATH,
            tokens: Optional[TokenFactory] = None) -> Observation:
    """Every cell of `matrix_path` for `target`, observed through `actor_dsn` (PostgREST's login role)."""
    started = time.monotonic()
    tokens = tokens or TokenFactory()
    gateway = Gateway(tokens.gateway_config())
    try:
        cells = load_matrix(target, Path(matrix_path))
    except MatrixFileError as error:
        raise ObserveError(str(error)) from None
    try:
        catalog_conn = psycopg.connect(actor_dsn, autocommit=True)
        conn = psycopg.connect(actor_dsn)
    except psycopg.OperationalError as exc:
        raise ObserveError(f"cannot connect to {_where(actor_dsn)} as the actors' login role: "
                           f"{str(exc).strip().splitlines()[-1]}; check POLICY_TEST_AUTHENTICATOR_DSN") from None
    with catalog_conn, conn:
        if not catalog_conn.execute(sql_text("access/kit_deployed.sql")).fetchone()[0]:
            raise ObserveError(f"{_where(actor_dsn)} has no public.job_schedules and public.scheduled_jobs: the kit "
                               "is not deployed there (run `make up`, or point POLICY_TEST_AUTHENTICATOR_DSN at a "
                               "deployed database)")
        # Each token shape signed once for the whole run (RSA signing is most of a cell's cost otherwise).
        signed = {(actor, variant): token_for(actor, tokens, variant)
                  for actor in dict.fromkeys(c.actor for c in cells) for variant in VARIANTS[actor]}
        roles = set()
        for token in signed.values():
            try:
                roles.add(gateway.authenticate(token).role)
            except TokenRejected:
                pass
        catalog = read_catalog(catalog_conn, sorted(roles))
        conn.execute("BEGIN")
        try:
            seed(conn)
            known = totals(conn)
            observed = []
            for cell in cells:
                sql, params = statement(cell, known)
                outcomes = {v: run(conn, gateway, signed[cell.actor, v], sql, params,
                                   expected_rows=expected_count(cell, known), function=cell.kind == "function")
                            for v in VARIANTS[cell.actor]}
                observed.append(ObservedCell(cell, outcomes, _causes(catalog_conn, catalog, gateway, signed, cell)))
        finally:
            conn.rollback()
    actors = list(dict.fromkeys(c.actor for c in cells))
    return Observation(target, _where(actor_dsn), str(matrix_path), actors, observed, catalog,
                       seconds=time.monotonic() - started)
