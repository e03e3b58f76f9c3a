"""jobs.yaml: loading and validation, one validator for the CLI, CI and the Pulumi program.

Every problem names the file, line and column, the field, what is wrong and how to fix it. Validation is all or
nothing: the Pulumi program registers no resource unless the whole file is valid, so a bad file changes nothing.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml

from .cron import FORMS as CRON_FORMS, explain as explain_cron, five_fields, matches_grammar

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "jobs.schema.json"
MAX_FILE_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 64 * 1024
MAX_CONFIG_DEPTH = 20
# The characters str.strip() removes (str.isspace), as ranges of code points. The database calls a service or an
# endpoint blank exactly when it holds only these (NOT_BLANK_PATTERN), as Python does: btrim() alone removes spaces.
BLANK_RANGES = ((0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
                (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000))
# A PostgreSQL (ARE) regular expression matching a value with any character that is not blank.
NOT_BLANK_PATTERN = "[^" + "".join(rf"\u{low:04x}" + (rf"-\u{high:04x}" if high != low else "")
                                   for low, high in BLANK_RANGES) + "]"


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


def in_file_order(problems: list[Problem]) -> list[Problem]:
    """The problems as a reader meets them: by line, then column; one without a position (no line or column, or
    not a positive one) after every positioned one. Equal positions keep the order they were found in (stable)."""
    def key(problem: Problem) -> tuple[bool, int, int]:
        line, column = problem.line, problem.column
        if not isinstance(line, int) or line < 1:
            return (True, 0, 0)
        return (False, line, column if isinstance(column, int) and column > 0 else 0)
    return sorted(problems, key=key)


class JobsFileError(ValueError):
    """jobs.yaml is not valid; `problems` lists every problem found, in file order (line, then column)."""

    def __init__(self, problems: list[Problem]):
        self.problems = in_file_order(problems)
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
    """Duplicate keys, non-string keys, aliases and YAML 1.1 booleans, which PyYAML would otherwise accept silently."""
    seen: set[int] = set()

    def walk(node: yaml.Node, path: list) -> Iterator[Problem]:
        if id(node) in seen and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            mark = node.start_mark
            yield Problem(file, mark.line + 1, mark.column + 1, _where(path),
                          "YAML anchors and aliases are not allowed", "write the value out in full")
            return
        seen.add(id(node))
        if (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool"
                and node.value.lower() not in ("true", "false")):
            mark = node.start_mark
            yield Problem(file, mark.line + 1, mark.column + 1, _where(path),
                          f"{node.value!r} is read as a boolean (a YAML 1.1 rule) and is ambiguous",
                          f"write {'true' if node.value.lower() in ('yes', 'y', 'on') else 'false'}, "
                          f"or \"{node.value}\" in quotes for the text")
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
    """Read and compiled once per process, and only for a document the direct check below does not pass."""
    import jsonschema  # 60-160 ms of imports, paid only when there is something to report

    return jsonschema.Draft202012Validator(_schema())


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# The jobs.schema.json `_passes_schema` was written for (its SHA-256): with any other schema it answers False, and
# every document goes through jsonschema (tests/fast/test_jobs_file.py fails until the two agree again).
DIRECT_CHECK_SCHEMA = "7b276e2a7e54a55519a3d82a79cc8133b4c02865620fb55e03f1bf9400b595b3"


@functools.lru_cache(maxsize=1)
def _direct_check_applies() -> bool:
    import hashlib

    return hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == DIRECT_CHECK_SCHEMA


def _passes_schema(data: Any) -> bool:
    """True only when jsonschema would find nothing wrong with `data` (the same keywords, read from the schema,
    applied as jsonschema applies them: isinstance for types, len for lengths, re.search for patterns); False
    means "ask jsonschema", which finds the problems and words them. A valid file (every preview, every Job
    resource's check in the provider) is so checked without importing jsonschema at all."""
    if not _direct_check_applies() or not isinstance(data, dict) or set(data) != {"jobs"}:
        return False
    schema = _schema()
    jobs = data["jobs"]
    if not isinstance(jobs, list) or len(jobs) > schema["properties"]["jobs"]["maxItems"]:
        return False
    job = schema["$defs"]["job"]
    fields = job["properties"]
    slug = schema["$defs"]["slug"]
    rules = {name: slug if "$ref" in rule else rule for name, rule in fields.items()}
    required = set(job["required"])
    for raw in jobs:
        if not isinstance(raw, dict) or not required <= set(raw) or not set(raw) <= set(fields):
            return False
        for name, value in raw.items():
            rule = rules[name]
            kind = rule["type"]
            if kind == "string":
                if not (isinstance(value, str) and rule.get("minLength", 0) <= len(value) <= rule["maxLength"]
                        and ("pattern" not in rule or re.search(rule["pattern"], value))):
                    return False
            elif kind == "boolean":
                if not isinstance(value, bool):
                    return False
            elif kind == "object":
                if not isinstance(value, dict):
                    return False
            else:
                return False
    return True


_TYPE_WORDS = {"array": "a list", "object": "a mapping", "string": "a string", "boolean": "true or false",
               "integer": "a whole number", "number": "a number", "null": "nothing"}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _schema_fix(error: jsonschema.ValidationError) -> tuple[str, str, list]:
    """A reader's message and fix for a JSON-schema error, plus the path to point at."""
    path = list(error.absolute_path)
    field_name = path[-1] if path else ""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)
        name = str(extra[0]) if extra else "?"
        guess = difflib.get_close_matches(name, list(error.schema.get("properties", {})), n=1)
        fix = f"did you mean {guess[0]!r}?" if guess else f"allowed fields: {', '.join(error.schema.get('properties', {}))}"
        return f"unknown field {name!r}", fix, [*path, name]
    if error.validator == "required":
        return error.message, "add it", path
    if error.validator == "pattern":
        if field_name == "cron":
            return f"{error.instance!r}: {explain_cron(error.instance)}", f"write {CRON_FORMS}", path
        if field_name in ("name", "service"):
            return f"{error.instance!r} is not lower-case letters, digits and single dashes", "e.g. weekly-digest", path
        if field_name == "endpoint":
            return f"{error.instance!r} is not a path", "start it with / and use no spaces, e.g. /api/jobs/weekly-digest", path
    if error.validator == "type":
        if error.instance is None and field_name == "jobs":
            return "is empty", "list the jobs under it (each starting with `- name:`), or write `jobs: []`", path
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in expected)
        if "boolean" in expected:
            fix = "write true or false"
        elif error.instance is None:
            fix = "give a value, or remove the field"
        elif "string" in expected:
            fix = "put the value in quotes"
        else:
            fix = f"write {words} here"
        return f"expected {words}, got {_kind(error.instance)}", fix, path
    if error.validator in ("maxLength", "maxItems"):
        return f"is longer than {error.validator_value}", "shorten it", path
    if error.validator == "minLength":
        return "is empty", "give a value, or remove the field", path
    return error.message, "", path


def _compose(text: str, file: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise JobsFileError([_yaml_problem(text, file, error)]) from None
    except yaml.YAMLError as error:
        raise JobsFileError([Problem(file, 1, 1, "", f"not valid YAML: {error}", "")]) from None


_QUOTED_START = re.compile(r"""^(\s*(-\s+)?([^\s#'"][^:#]*:\s+|-\s+)?)(["'])""")


def _unclosed_quote(lines: list[str], before_line: int) -> Optional[tuple[int, int, str]]:
    """The first line (1-based) before `before_line` whose value opens a quote that the line does not close."""
    for number, line in enumerate(lines[: max(before_line - 1, 0)], start=1):
        match = _QUOTED_START.match(line)
        if not match:
            continue
        quote, rest = match.group(4), line[match.end():]
        if quote == '"':
            closed = re.search(r'(?<!\\)(\\\\)*"', rest) is not None
        else:
            closed = "'" in rest.replace("''", "")
        if not closed:
            return number, match.end(), quote
    return None


def _yaml_problem(text: str, file: str, error: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error, placed where the mistake is and worded with the usual fix."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem, context = str(error.problem or ""), str(error.context or "")
    lines = text.splitlines()
    if "'\\t'" in problem:
        return Problem(file, line, column, "", "a tab character where YAML expects indentation or a value",
                       "indent with spaces; YAML does not allow tabs for indentation")
    if "alias" in context and error.context_mark is not None:
        at = error.context_mark
        return Problem(file, at.line + 1, at.column + 1, "", "an unquoted value starting with * is read as a YAML alias",
                       'quote it, e.g. cron: "*/5 * * * *"')
    if "cannot start any token" in problem and mark is not None:
        char = problem.split("'")[1] if problem.count("'") >= 2 else "?"
        return Problem(file, line, column, "", f"an unquoted value cannot start with {char!r} in YAML",
                       f'quote it, e.g. cron: "{char}daily"' if char == "@" else "put the value in quotes")
    if "quoted scalar" in context and error.context_mark is not None:
        at = error.context_mark
        return Problem(file, at.line + 1, at.column + 1, "", "this quote is never closed",
                       "close the quote on the same line")
    unclosed = _unclosed_quote(lines, line)
    if unclosed is not None:
        number, col, quote = unclosed
        return Problem(file, number, col, "",
                       f"the {'double' if quote == chr(34) else 'single'} quote opened here is not closed on its line, "
                       f"so YAML reads on until line {line}", "close the quote on the same line")
    return Problem(file, line, column, "", f"not valid YAML: {problem or error}",
                   "check indentation (spaces only) and quoting near this position")


def validate_text(text: str, file: str = "jobs.yaml") -> list[JobDefinition]:
    """The jobs of a jobs.yaml text, or JobsFileError listing every problem found in one pass."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise JobsFileError([Problem(file, 1, 1, "", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB",
                                     "split configuration out of jobs.yaml")])
    root = _compose(text, file)
    if root is None:
        raise JobsFileError([Problem(file, 1, 1, "", "the file is empty", "start it with `jobs:` and a list of jobs")])
    problems = list(_structural_problems(file, root))
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        raise JobsFileError([*problems, Problem(file, 1, 1, "", f"not valid YAML: {error}", "")]) from None
    problems += [p for p in _document_problems(data, file, _Locator(root)) if p not in problems]
    if problems:
        raise JobsFileError(problems)
    return [_definition(raw) for raw in data["jobs"]]


def job_problems(fields: dict[str, Any]) -> list[Problem]:
    """The problems of one job given as data (the Job provider's inputs): the same rules as a jobs.yaml file."""
    return _document_problems({"jobs": [fields]}, "(resource inputs)", _Locator(None))


def _definition(raw: dict) -> JobDefinition:
    return JobDefinition(
        name=raw["name"], cron=raw["cron"], service=raw["service"], endpoint=raw["endpoint"],
        display_name=raw.get("display_name"), description=raw.get("description"),
        enabled=raw.get("enabled", True), config=raw.get("config", {}),
    )


def _document_problems(data: Any, file: str, locate: _Locator) -> list[Problem]:
    """Schema and per-job problems together, so that one run reports everything."""
    problems: list[Problem] = []
    flagged: set[str] = set()
    errors = [] if _passes_schema(data) else _schema_validator().iter_errors(data)
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        message, fix, path = _schema_fix(error)
        if error.validator == "additionalProperties":
            line, column = locate.key_position(path[:-1], str(path[-1]))
        else:
            line, column = locate.find(path)
        flagged.add(_where(path))
        problems.append(Problem(file, line, column, _where(path), message, fix))
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list):
        return problems

    def add(path: list, message: str, fix: str) -> None:
        line, column = locate.find(path)
        problems.append(Problem(file, line, column, _where(path), message, fix))

    first_seen: dict[str, int] = {}
    for index, raw in enumerate(jobs):
        if not isinstance(raw, dict):
            continue
        base = ["jobs", index]
        name = raw.get("name")
        if isinstance(name, str):
            if name in first_seen:
                add([*base, "name"], f"job name {name!r} is already used by jobs[{first_seen[name]}]",
                    "give each job a unique name")
            first_seen.setdefault(name, index)
        for key in ("display_name", "description", "endpoint"):
            if isinstance(raw.get(key), str):
                bad = _bad_characters(raw[key], allow_newlines=(key == "description"))
                if bad:
                    add([*base, key], bad, "remove it")
        cron = raw.get("cron")
        if isinstance(cron, str) and _where([*base, "cron"]) not in flagged:
            if not matches_grammar(cron):  # the schema's pattern is the same; this covers a schema without it
                add([*base, "cron"], f"{cron!r}: {explain_cron(cron)}", f"write {CRON_FORMS}")
            elif (reason := _croniter_rejects(five_fields(cron))) is not None:
                add([*base, "cron"], f"{cron!r} is not a valid schedule: {reason}", "check the ranges in each field")
        config = raw.get("config", {})
        if not isinstance(config, dict):
            continue
        config_where = _where([*base, "config"])
        before = len(problems)
        for path, message, fix in _config_problems(config, [*base, "config"]):
            add(path, message, fix)
        if len(problems) == before and not any(p.where.startswith(config_where) for p in problems):
            size = len(json.dumps(config, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            if size > MAX_CONFIG_BYTES:
                add([*base, "config"], f"is {size} bytes as JSON, more than {MAX_CONFIG_BYTES}",
                    "keep large data out of the job definition")
    return problems


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
    words = get_description(five_fields(cron))
    runs = croniter(five_fields(cron), now)
    return words, [runs.get_next(datetime) for _ in range(count)]
