"""jobs.yaml: loading and validation, one validator for the CLI, CI and the Pulumi program.

Every problem names the file, line and column, the field, what is wrong and how to fix it. Validation is all or
nothing: the Pulumi program registers no resource unless the whole file is valid, so a bad file changes nothing.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

import jsonschema
import yaml

from .cron import matches_grammar

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "jobs.schema.json"
MAX_FILE_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 64 * 1024
MAX_CONFIG_DEPTH = 20


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    where: str  # e.g. jobs[2].cron
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.where or '(file)'}: {self.message}"
        return f"{text}; fix: {self.fix}" if self.fix else text


class JobsFileError(ValueError):
    """jobs.yaml is not valid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class JobDefinition:
    name: str
    cron: str
    service: str
    endpoint: str
    display_name: Optional[str] = None
    description: Optional[str] = None
    enabled: bool = True
    config: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Locator:
    """Maps a path in the data (['jobs', 1, 'cron']) back to the YAML node's position."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def find(self, path: list) -> tuple[int, int]:
        node = self.root
        for step in path:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == step), None)
                if match is None:
                    break
                node = match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
            else:
                break
        mark = node.start_mark if node is not None else None
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)

    def key_position(self, path: list, key: str) -> tuple[int, int]:
        node = self.root
        for step in path:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if getattr(k, "value", None) == key:
                    return k.start_mark.line + 1, k.start_mark.column + 1
        return self.find(path)


def _where(path: list) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _structural_problems(file: str, root: yaml.Node) -> Iterator[Problem]:
    """Duplicate keys, non-string keys and aliases, which PyYAML would otherwise accept silently."""
    seen: set[int] = set()

    def walk(node: yaml.Node, path: list) -> Iterator[Problem]:
        if id(node) in seen and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            mark = node.start_mark
            yield Problem(file, mark.line + 1, mark.column + 1, _where(path),
                          "YAML anchors and aliases are not allowed", "write the value out in full")
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, yaml.Node] = {}
            for key, value in node.value:
                mark = key.start_mark
                if not (isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:str"):
                    yield Problem(file, mark.line + 1, mark.column + 1, _where(path),
                                  f"key {getattr(key, 'value', '?')!r} is not a string", "quote the key")
                    continue
                if key.value in keys:
                    first = keys[key.value].start_mark
                    yield Problem(file, mark.line + 1, mark.column + 1, _where([*path, key.value]),
                                  f"duplicate key {key.value!r} (first at line {first.line + 1})",
                                  "keep one of them; YAML would silently use the last")
                keys[key.value] = key
                yield from walk(value, [*path, key.value])
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                yield from walk(item, [*path, index])

    yield from walk(root, [])


def _bad_characters(value: str, allow_newlines: bool) -> Optional[str]:
    for char in value:
        if char == "\x00":
            return "contains a NUL character"
        if unicodedata.category(char) in ("Cc", "Cs") and not (allow_newlines and char in "\n\t"):
            return f"contains the control character U+{ord(char):04X}"
    return None


def _config_problems(value: Any, path: list, depth: int = 0) -> Iterator[tuple[list, str, str]]:
    if depth > MAX_CONFIG_DEPTH:
        yield path, f"nests deeper than {MAX_CONFIG_DEPTH} levels", "flatten the configuration"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _config_problems(item, [*path, key], depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _config_problems(item, [*path, index], depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, f"{value} is not a JSON number", "use a finite number or a string"
    elif isinstance(value, str) and "\x00" in value:
        yield path, "contains a NUL character, which jsonb cannot store", "remove it"
    elif isinstance(value, (datetime,)) or type(value).__name__ == "date":
        yield path, "is a YAML date, which JSON cannot hold", "quote it to make it a string"
    elif isinstance(value, bytes):
        yield path, "is binary data, which JSON cannot hold", "encode it as a string"


@functools.lru_cache(maxsize=1)
def _schema_validator() -> jsonschema.Draft202012Validator:
    """Read and compiled once per process: the Job provider validates every job of a preview with it."""
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _schema_fix(error: jsonschema.ValidationError) -> tuple[str, str, list]:
    """A reader's message and fix for a JSON-schema error, plus the path to point at."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        name = str(extra[0]) if extra else "?"
        guess = difflib.get_close_matches(name, list(error.schema.get("properties", {})), n=1)
        fix = f"did you mean {guess[0]!r}?" if guess else f"allowed fields: {', '.join(error.schema.get('properties', {}))}"
        return f"unknown field {name!r}", fix, [*path, name]
    if error.validator == "required":
        return error.message, "add it", path
    if error.validator == "pattern":
        field_name = path[-1] if path else ""
        if field_name in ("name", "service"):
            return f"{error.instance!r} is not lower-case letters, digits and single dashes", "e.g. weekly-digest", path
        if field_name == "endpoint":
            return f"{error.instance!r} is not a path", "start it with / and use no spaces, e.g. /api/jobs/weekly-digest", path
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}", \
               "quote strings, write true/false for booleans, use a mapping for config", path
    if error.validator in ("maxLength", "maxItems"):
        return f"is longer than {error.validator_value}", "shorten it", path
    if error.validator == "minLength":
        return "is too short", "give a value" if error.validator_value <= 1 else "give a full five-field expression", path
    return error.message, "", path


def validate_text(text: str, file: str = "jobs.yaml") -> list[JobDefinition]:
    """The jobs of a jobs.yaml text, or JobsFileError listing every problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise JobsFileError([Problem(file, 1, 1, "", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB",
                                     "split configuration out of jobs.yaml")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise JobsFileError([Problem(file, line, column, "", f"not valid YAML: {error.problem or error}",
                                     "check indentation and quoting near this position")]) from None
    except yaml.YAMLError as error:
        raise JobsFileError([Problem(file, 1, 1, "", f"not valid YAML: {error}", "")]) from None
    if root is None:
        raise JobsFileError([Problem(file, 1, 1, "", "the file is empty", "start it with `jobs:` and a list of jobs")])
    problems = list(_structural_problems(file, root))
    if problems:
        raise JobsFileError(problems)
    locate = _Locator(root)
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        raise JobsFileError([Problem(file, 1, 1, "", f"not valid YAML: {error}", "")]) from None

    for error in sorted(_schema_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        message, fix, path = _schema_fix(error)
        if error.validator == "additionalProperties":
            line, column = locate.key_position(path[:-1], str(path[-1]))
        else:
            line, column = locate.find(path)
        problems.append(Problem(file, line, column, _where(path), message, fix))
    if problems:
        raise JobsFileError(problems)

    jobs: list[JobDefinition] = []
    first_seen: dict[str, int] = {}
    for index, raw in enumerate(data["jobs"]):
        base = ["jobs", index]
        name = raw["name"]
        if name in first_seen:
            line, column = locate.find([*base, "name"])
            problems.append(Problem(file, line, column, _where([*base, "name"]),
                                    f"job name {name!r} is already used by jobs[{first_seen[name]}]",
                                    "give each job a unique name"))
        first_seen.setdefault(name, index)
        for key in ("display_name", "description", "endpoint"):
            if isinstance(raw.get(key), str):
                bad = _bad_characters(raw[key], allow_newlines=(key == "description"))
                if bad:
                    line, column = locate.find([*base, key])
                    problems.append(Problem(file, line, column, _where([*base, key]), bad, "remove it"))
        cron = raw["cron"]
        if not matches_grammar(cron):
            line, column = locate.find([*base, "cron"])
            problems.append(Problem(file, line, column, _where([*base, "cron"]),
                                    f"{cron!r} is not a five-field cron expression",
                                    "minute hour day-of-month month day-of-week, e.g. '0 9 * * 1' (Mondays 09:00 UTC)"))
        elif (reason := _croniter_rejects(cron)) is not None:
            line, column = locate.find([*base, "cron"])
            problems.append(Problem(file, line, column, _where([*base, "cron"]),
                                    f"{cron!r} is not a valid schedule: {reason}", "check the ranges in each field"))
        config = raw.get("config", {})
        for path, message, fix in _config_problems(config, [*base, "config"]):
            line, column = locate.find(path)
            problems.append(Problem(file, line, column, _where(path), message, fix))
        if not any(p.where.startswith(_where([*base, "config"])) for p in problems):
            size = len(json.dumps(config, ensure_ascii=False).encode())
            if size > MAX_CONFIG_BYTES:
                line, column = locate.find([*base, "config"])
                problems.append(Problem(file, line, column, _where([*base, "config"]),
                                        f"is {size} bytes as JSON, more than {MAX_CONFIG_BYTES}",
                                        "keep large data out of the job definition"))
        jobs.append(JobDefinition(
            name=name, cron=cron, service=raw["service"], endpoint=raw["endpoint"],
            display_name=raw.get("display_name"), description=raw.get("description"),
            enabled=raw.get("enabled", True), config=config,
        ))
    if problems:
        raise JobsFileError(problems)
    return jobs


def _croniter_rejects(cron: str) -> Optional[str]:
    from croniter import croniter

    try:
        croniter(cron, datetime(2026, 1, 1, tzinfo=timezone.utc)).get_next(datetime)
    except Exception as error:  # croniter raises several types for bad ranges
        return str(error) or type(error).__name__
    return None


def load_jobs(path: str | Path) -> list[JobDefinition]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JobsFileError([Problem(str(path), 1, 1, "", "the file does not exist",
                                     "create it, or set scheduler-kit:jobsFile to its path")]) from None
    except UnicodeDecodeError as error:
        raise JobsFileError([Problem(str(path), 1, 1, "", f"not UTF-8 text ({error.reason})", "save it as UTF-8")]) from None
    return validate_text(text, str(path))


def describe_schedule(cron: str, count: int = 3, now: Optional[datetime] = None) -> tuple[str, list[datetime]]:
    """The schedule in words and its next run times (UTC)."""
    from cron_descriptor import get_description
    from croniter import croniter

    now = now or datetime.now(timezone.utc)
    words = get_description(cron)
    runs = croniter(cron, now)
    return words, [runs.get_next(datetime) for _ in range(count)]
