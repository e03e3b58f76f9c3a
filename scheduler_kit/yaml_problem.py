"""One line for a YAML syntax error in a file the kit reads: the file, line and column, and what the parser found."""

from __future__ import annotations

import yaml


def yaml_problem(where: str, error: yaml.YAMLError) -> str:
    """`<file>:<line>:<column>: not valid YAML: <problem> (<context> at line N)`, positions counted from 1."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return f"{where}: not valid YAML: {' '.join(str(error).split())}"
    mark = error.problem_mark or error.context_mark
    place = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
    problem = error.problem or error.context or "unreadable"
    if error.context and error.problem:
        started = error.context_mark
        since = f" at line {started.line + 1}" if started and mark and started.line != mark.line else ""
        problem += f" ({error.context}{since})"
    return f"{place}: not valid YAML: {problem}"
