"""The access matrix file (tests/access_matrix.yaml, written by hand): its outcomes and its cells, one per object,
operation and actor, for one target."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

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


def load_matrix(target: str = "postgres", path: Path = MATRIX_PATH) -> list[Cell]:
    """The cells for one target: the scheduler's tables and functions, and the admin lookup table as that target
    has it (the kit's own on postgres, the application's on supabase). Read afresh each time the file changes."""
    return _cells(target, Path(path).read_text())


@functools.lru_cache(maxsize=None)
def _cells(target: str, text: str) -> list[Cell]:
    document = yaml.safe_load(text)
    actors = document["actors"]
    sections = [("table", document["tables"]), ("table", {"users": document["admin_lookup"][target]}),
                ("function", document["functions"])]
    cells = []
    for kind, section in sections:
        for obj, rows in section.items():
            for operation, outcomes in rows.items():
                assert len(outcomes) == len(actors), f"{obj} {operation}: {len(outcomes)} outcomes for {len(actors)} actors"
                op, _, column = operation.partition(" ")
                for actor, expected in zip(actors, outcomes):
                    assert expected in OUTCOMES, f"{obj} {operation}: {expected!r}"
                    cells.append(Cell(obj, kind, op, column or None, actor, expected))
    return cells


