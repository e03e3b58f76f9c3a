"""`make validate`, after jobs.yaml: the policy declarations (policies/*.yaml) and the access matrix file
(tests/access_matrix.yaml), read exactly as the deploy and the review read them, without a database.

    python -m scheduler_kit.declarations_check [--policies DIR] [--matrix FILE]

One line for each: what it declares, or its first problem with the file, the entry and the fix. Exit status: 0 both
are valid, 1 either is not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .access.cells import MATRIX_PATH, MatrixFileError, read_matrix, sections
from .policies import POLICY_DIR, PolicyFileError, load_policies


def policies_line(directory: Path) -> tuple[bool, str]:
    try:
        policies = load_policies(directory)
    except PolicyFileError as error:
        return False, f"policies: {error}"
    tables = sorted({p.table for p in policies})
    return True, f"{_shown(directory)}: {len(policies)} policies on {len(tables)} tables, valid"


def matrix_line(path: Path) -> tuple[bool, str]:
    try:
        document = read_matrix(path)
    except MatrixFileError as error:
        return False, f"access matrix: {error}"
    rows = sum(len(rows) for _, section in sections(document, "postgres") for rows in section.values())
    return True, f"{_shown(path)}: {len(document['actors'])} actors, {rows} rows (postgres), valid"


def _shown(path: Path) -> str:
    """The path as typed from the checkout (`policies`), else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler_kit.declarations_check",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=Path, default=POLICY_DIR)
    parser.add_argument("--matrix", type=Path, default=MATRIX_PATH)
    args = parser.parse_args(argv)
    results = [policies_line(args.policies), matrix_line(args.matrix)]
    for valid, line in results:
        print(line, file=sys.stdout if valid else sys.stderr)
    return 0 if all(valid for valid, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
