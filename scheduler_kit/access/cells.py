"""The access matrix file (tests/access_matrix.yaml, written by hand): its outcomes and its cells, one per object,
operation and actor, for one target."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from ..yaml_problem import yaml_problem

MATRIX_PATH = Path(__file__).resolve().parents[2] / "tests" / "access_matrix.yaml"

OUTCOMES = {
    "rows": "allowed, and the statement sees or changes every row there is (an INSERT or TRUNCATE: it succeeds)",
    "some": "allowed, but it sees or changes only part of the rows: a partial leak or a partial hiding",
    "zero": "allowed by privileges, but row level security hides every row: silently 0 rows",
    "denied": "refused by the privilege layer: permission denied for the table, column or function (42501)",
    "policy": "the privilege is there, but row level security refuses the new row (42501, WITH CHECK)",
    "rejected": "the gateway refuses the token; no SQL runs at all",
    "refused": "the token is accepted, but the database refuses to switch to its role (authenticator is no member)",
    # (login_role's cells are `denied`: the request runs as authenticator itself, which holds nothing)
}


@dataclass(frozen=True)
class Cell:
    object: str       # table or function name
    kind: str         # table | function
    operation: str    # SELECT INSERT UPDATE DELETE TRUNCATE EXECUTE
    column: Optional[str]
    actor: str
    expected: str

    @property
    def label(self) -> str:
        op = f"{self.operation} {self.column}" if self.column else self.operation
        return f"{self.actor}:{self.object}:{op}"


TARGETS = ("postgres", "supabase")
# The operations a row may name, by the kind of object its section holds.
OPERATIONS = {"table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"), "function": ("EXECUTE",)}


class MatrixFileError(ValueError):
    """The matrix file is malformed; the message names the file, the entry and the fix."""


def load_matrix(target: str = "postgres", path: Path = MATRIX_PATH) -> list[Cell]:
    """The cells for one target: the scheduler's tables and functions, and the admin lookup table as that target
    has it (the kit's own on postgres, the application's on supabase). Read afresh each time the file changes."""
    return _cells(target, _read_text(Path(path)), str(path))


def read_matrix(path: Path = MATRIX_PATH) -> dict[str, Any]:
    """The file's document, checked: `actors` and, per section, every row's outcomes (MatrixFileError otherwise)."""
    return _checked(_read_text(Path(path)), str(path))


def sections(document: dict[str, Any], target: str) -> list[tuple[str, dict[str, dict[str, list[str]]]]]:
    """(kind, {object: {operation: outcomes}}) for one target: the admin lookup table is that target's."""
    return [("table", document["tables"]), ("table", {"users": document["admin_lookup"][target]}),
            ("function", document["functions"])]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise MatrixFileError(f"cannot read the matrix file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise MatrixFileError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None


@functools.lru_cache(maxsize=None)
def _cells(target: str, text: str, where: str) -> list[Cell]:
    document = _checked(text, where)
    cells = []
    for kind, section in sections(document, target):
        for obj, rows in section.items():
            for operation, outcomes in rows.items():
                op, _, column = operation.partition(" ")
                for actor, expected in zip(document["actors"], outcomes):
                    cells.append(Cell(obj, kind, op, column or None, actor, expected))
    return cells


@functools.lru_cache(maxsize=None)
def _checked(text: str, where: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MatrixFileError(f"{yaml_problem(where, error)}; fix the line") from None
    if not isinstance(document, dict):
        raise MatrixFileError(f"{where}: expected the sections actors, tables, functions and admin_lookup")
    actors = document.get("actors")
    if not isinstance(actors, list) or not actors or not all(isinstance(a, str) for a in actors) \
            or len(set(actors)) != len(actors):
        raise MatrixFileError(f"{where}: actors: expected a list of distinct actor names, one per outcome column")
    lookup = document.get("admin_lookup")
    if not isinstance(lookup, dict) or set(lookup) != set(TARGETS):
        raise MatrixFileError(f"{where}: admin_lookup: expected the users table's rows for each target: "
                              f"{', '.join(TARGETS)}")
    checked = [(name, kind, document.get(name)) for name, kind in (("tables", "table"), ("functions", "function"))]
    checked += [(f"admin_lookup.{target}", "table", {"users": lookup[target]}) for target in TARGETS]
    for name, kind, section in checked:
        if not isinstance(section, dict) or not section:
            raise MatrixFileError(f"{where}: {name}: expected a mapping of object name to its rows")
        for obj, rows in section.items():
            if not isinstance(rows, dict) or not rows:
                raise MatrixFileError(f"{where}: {name}: {obj}: expected a mapping of operation to its outcomes")
            for operation, outcomes in rows.items():
                _check_row(where, kind, f"{obj} {operation}", str(operation), outcomes, actors)
    return document


def _check_row(where: str, kind: str, row: str, operation: str, outcomes: Any, actors: list[str]) -> None:
    op, _, column = operation.partition(" ")
    if op not in OPERATIONS[kind] or (column and op != "UPDATE") or " " in column:
        allowed = ", ".join(OPERATIONS[kind]) + (" (UPDATE <column> for one column)" if kind == "table" else "")
        raise MatrixFileError(f"{where}: {row}: not an operation on a {kind}; write one of {allowed}")
    if not isinstance(outcomes, list) or len(outcomes) != len(actors):
        count = len(outcomes) if isinstance(outcomes, list) else "no list of"
        raise MatrixFileError(f"{where}: {row}: {count} outcomes for {len(actors)} actors; give one per actor, "
                              f"in the order of `actors:` ({', '.join(actors)})")
    for actor, outcome in zip(actors, outcomes):
        if outcome not in OUTCOMES:
            raise MatrixFileError(f"{where}: {row}: {actor}'s outcome {outcome!r} is not one of "
                                  f"{', '.join(OUTCOMES)}; write one of them (see the file's header)")


