"""Reads the RLS policy declarations in policies/*.yaml into typed inputs, with errors that name file and entry."""

from __future__ import annotations

from pathlib import Path

import yaml

from .yaml_problem import yaml_problem
from .providers.policy import COMMANDS, PolicyInputs, PolicyProvider

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
# The tables whose policies the kit owns (scheduler_kit/model.py deploys them; each table's policy list is its own).
KIT_TABLES = ("job_schedules", "scheduled_jobs", "job_execution_rollups")
_ALLOWED_KEYS = {"command", "roles", "using", "with_check", "permissive", "comment"}


class PolicyFileError(ValueError):
    """A policy declaration is malformed; the message names the file, the entry and the fix."""


def load_policies(directory: Path = POLICY_DIR, schema: str = "public") -> list[PolicyInputs]:
    policies: list[PolicyInputs] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        document = _read_yaml(path) or {}
        if not isinstance(document, dict):
            raise PolicyFileError(f"{path}: expected a mapping of table name to policies")
        for table, entries in document.items():
            if not isinstance(entries, dict):
                raise PolicyFileError(f"{path}: {table}: expected a mapping of policy name to its fields")
            for name, fields in entries.items():
                where = f"{path}: {table}.{name}"
                if not isinstance(fields, dict):
                    raise PolicyFileError(f"{where}: expected command, roles, using/with_check")
                unknown = set(fields) - _ALLOWED_KEYS
                if unknown:
                    raise PolicyFileError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}")
                command = str(fields.get("command", "")).upper()
                if command not in COMMANDS:
                    raise PolicyFileError(f"{where}: command must be one of {', '.join(COMMANDS)}")
                roles = fields.get("roles")
                if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
                    raise PolicyFileError(f"{where}: roles must be a non-empty list of role names")
                if name in seen:
                    raise PolicyFileError(f"{where}: policy name {name!r} is declared twice")
                seen.add(name)
                policy = PolicyInputs(
                    name=str(name),
                    table=f"{schema}.{table}",
                    command=command,
                    roles=list(roles),
                    using=_expression(fields.get("using")),
                    with_check=_expression(fields.get("with_check")),
                    permissive=bool(fields.get("permissive", True)),
                    comment=fields.get("comment"),
                )
                # The provider's own checks, here too: the program refuses the file before it registers anything,
                # where the provider's Check would refuse one resource while others are already being applied.
                problems = PolicyProvider().validate(policy)
                if problems:
                    raise PolicyFileError(f"{where}: {'; '.join(problems)}")
                policies.append(policy)
            if table not in KIT_TABLES:
                raise PolicyFileError(f"{path}: {table}: not a table the kit deploys; policies go under one of "
                                      f"{', '.join(KIT_TABLES)}")
    return policies


def _read_yaml(path: Path) -> object:
    """The file's document; a file that is not YAML is a PolicyFileError at its line and column."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise PolicyFileError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except yaml.YAMLError as error:
        raise PolicyFileError(f"{yaml_problem(str(path), error)}; fix the line (a value with ': ' or '#' in it goes "
                              "in quotes)") from None


def _expression(value: object) -> str | None:
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)
