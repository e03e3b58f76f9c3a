"""jobs.yaml from the job rows a database holds (`make jobs-import`), and what a deploy would change in those rows.

Pure logic: rows in (dicts of public.job_schedules columns), text out. The text is loaded back through the kit's
own validator before it is returned, so an import is always a file `make validate` accepts.

What a row needs to fit the kit's rules, and what the importer does (docs/jobs-import.md has the reasons):
- a value the rules refuse but that can be repaired without guessing (a name with upper case or underscores, a NULL
  `enabled`, an endpoint without its leading `/`, a config that is not an object, a schedule the kit refuses) is
  written repaired, with a `# import:` comment on its line saying what the database held and why it changed;
- a row that cannot be made valid without inventing what it calls (no name, a blank service or endpoint, a name
  that normalises to one another row has) is written as a comment block naming the fix, and left out;
- a retired row (retired_at set) is left out with a one-line comment: a job jobs.yaml does not list stays retired.

`job_field_changes` says, per row, what a deploy of given jobs writes into it (the Job provider's rules).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

import yaml

from .jobs_file import JobDefinition, JobsFileError, job_problems, validate_text

# The fields in the order jobs.yaml, the schema and docs/jobs.md show them, and the column each maps to.
FILE_FIELDS = ("name", "display_name", "description", "cron", "enabled", "service", "endpoint", "config")
COLUMN_OF = {"name": "job_name", "cron": "cron_expression"}
# The Job provider writes these two only when jobs.yaml changed them (scheduler_kit/providers/job.py).
ADMIN_FIELDS = ("cron", "enabled")
# A schedule for a job whose own schedule is missing or refused: valid, rare, and the job is written disabled.
PLACEHOLDER_CRON = "@yearly"
NOTE = "# import:"
HEADER = (
    "# yaml-language-server: $schema=./jobs.schema.json\n"
    "# The jobs the scheduler runs. Reviewed like code: a pull request that changes this file gets a summary of what the\n"
    "# deploy will do. Schedules are five-field cron expressions in UTC.\n"
)
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_MAX_SLUG = 100
_LIMITS = {"display_name": 200, "description": 2000}
_KEEP_DB_VALUE = "run make jobs-import to keep the database's value"


@dataclass(frozen=True)
class FieldNote:
    """A value the importer had to change: the jobs.yaml field and what the database held, why, and what to do."""

    field: str
    note: str


@dataclass(frozen=True)
class ImportedJob:
    job: JobDefinition
    notes: tuple[FieldNote, ...] = ()


@dataclass(frozen=True)
class LeftOutRow:
    """A row that cannot be made valid: written as a comment block, not as a job."""

    label: str  # the row's job_name as the database holds it
    reason: str
    fix: str
    row: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class JobsImport:
    text: str
    jobs: list[ImportedJob]
    left_out: list[LeftOutRow]
    retired: list[str]

    @property
    def changed(self) -> list[tuple[str, FieldNote]]:
        return [(item.job.name, note) for item in self.jobs for note in item.notes]

    @property
    def faithful(self) -> bool:
        """Every active row is in the file exactly as the database holds it (what --strict asks for)."""
        return not self.changed and not self.left_out


class _Refused(Exception):
    def __init__(self, reason: str, fix: str):
        super().__init__(reason)
        self.reason, self.fix = reason, fix


# --- values in comments and in YAML ----------------------------------------------------------------------------

def held(value: Any, limit: int = 80) -> str:
    """A database value as a reader of SQL would write it, on one line, shortened."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "..."
        return "'" + _one_line(text).replace("'", "''") + "'"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        return _one_line(text if len(text) <= limit else text[:limit] + "...")
    return _one_line(str(value))


def _one_line(text: str) -> str:
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c for c in text)


def _scalar(value: Any) -> str:
    """A YAML scalar that loads back to `value` (quoted where YAML would read it as something else)."""
    if isinstance(value, str) and any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        style = '"'  # a multi-line description stays on one line, with \n escapes
    else:
        style = None
    text = yaml.dump(value, Dumper=yaml.SafeDumper, default_style=style, allow_unicode=True, width=float("inf"))
    return text.removesuffix("\n...\n").rstrip("\n")


def _config_lines(config: dict) -> Optional[list[str]]:
    """The config as jobs.yaml writes it (a block mapping, lists and small mappings in flow style inside it), or
    None when no rendering loads back to the same value. Candidates in order of readability; the first that
    round-trips wins (a key with a control character needs an escaped form, for one)."""

    def block(allow_unicode: bool) -> str:
        # Flow style for a value that is a list or mapping of scalars, block style around it (None would also
        # turn a one-key mapping with a scalar value into flow style).
        return "".join(yaml.safe_dump({key: value}, default_flow_style=(None if isinstance(value, (dict, list))
                                                                            else False),
                                      sort_keys=False, allow_unicode=allow_unicode, width=float("inf"))
                       for key, value in config.items())

    candidates = (lambda: block(True), lambda: block(False), lambda: json.dumps(config, ensure_ascii=False),
                  lambda: json.dumps(config))
    for render in candidates:
        text = render()
        try:
            if yaml.safe_load(text) != config:
                continue
        except yaml.YAMLError:
            continue
        return [text] if text.startswith("{") else [f"      {line}" for line in text.splitlines()]
    return None


# --- one row ---------------------------------------------------------------------------------------------------

def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:_MAX_SLUG].rstrip("-")


def _problem(fields: dict[str, Any], name: str) -> Optional[str]:
    """The kit's own validator on a job given as data: the first problem of field `name`, or None."""
    for problem in job_problems({k: v for k, v in fields.items() if v is not None}):
        if problem.where.split(".", 1)[-1].split(".")[0].split("[")[0] == name:
            return problem.message
    return None


def _probe(field_name: str, value: Any) -> Optional[str]:
    base = {"name": "probe", "cron": "@daily", "service": "probe", "endpoint": "/probe", field_name: value}
    return _problem(base, field_name)


def _name(row: Mapping[str, Any], taken: set[str], claimed: set[str]) -> tuple[str, Optional[str]]:
    raw = row.get("job_name")
    if raw is None or not str(raw).strip():
        where = f"WHERE id = '{row['id']}'" if row.get("id") else "WHERE job_name IS NULL"
        raise _Refused(f"the row has no job_name ({held(raw)})",
                       f"give it a name in the database (UPDATE public.job_schedules SET job_name = '...' {where}) "
                       "and import again")
    raw = str(raw)
    if raw in claimed:  # a unique index forbids it; a table without one may not
        raise _Refused(f"job_name {held(raw)} is held by another row too",
                       "keep one row of that name in the database (or rename one), and import again")
    if _SLUG.match(raw) and len(raw) <= _MAX_SLUG:
        return raw, None
    slug = _slug(raw)
    if not slug:
        raise _Refused(f"job_name {held(raw)} has no letters or digits to make a job name from",
                       "rename the row in the database to lower-case letters, digits and dashes, and import again")
    if slug in taken or slug in claimed:
        raise _Refused(f"job_name {held(raw)} normalises to '{slug}', which another row already uses",
                       "rename one of the two rows in the database, and import again")
    return slug, (f"the database holds job_name {held(raw)}, which is not lower-case letters, digits and single "
                  f"dashes; rename the row to '{slug}' before the first deploy, or the deploy adds '{slug}' as a "
                  "new job beside it (docs/jobs-import.md)")


def _text(row: Mapping[str, Any], column: str) -> tuple[Optional[str], Optional[str]]:
    raw = row.get(column)
    if raw is None:
        return None, None
    reasons = [] if isinstance(raw, str) else ["not text; written as its text"]
    allowed = "\n\t" if column == "description" else ""
    value = "".join(c for c in str(raw) if not (unicodedata.category(c) in ("Cc", "Cs") and c not in allowed))
    if value != str(raw):
        reasons.append("control characters removed")
    if len(value) > _LIMITS[column]:
        value = value[: _LIMITS[column]]
        reasons.append(f"shortened to the kit's {_LIMITS[column]} characters")
    if value == "" and column == "display_name":
        return None, (f"the database holds {held(raw)}, which jobs.yaml cannot hold (an empty display name); "
                      "left out, so the deploy writes NULL")
    if reasons:
        return value, f"the database holds {held(raw)}: {', '.join(reasons)}"
    return value, None


def _cron(row: Mapping[str, Any]) -> tuple[str, Optional[str]]:
    raw = row.get("cron_expression")
    if isinstance(raw, str) and raw.strip():
        problem = _probe("cron", raw)
        if problem is None:
            return raw, None
        why = f"which the kit refuses ({problem})"
    else:
        why = "and a job needs a schedule"
    return PLACEHOLDER_CRON, (f"the database holds {held(raw)}, {why}; '{PLACEHOLDER_CRON}' is a placeholder and "
                              "the job is written disabled: put its schedule here and set enabled: true")


def _enabled(row: Mapping[str, Any], placeholder_cron: bool) -> tuple[bool, Optional[str]]:
    raw = row.get("enabled")
    if isinstance(raw, bool):
        value, note = raw, None
    elif raw is None:
        value, note = False, ("the database holds NULL, which `WHERE enabled` reads as not enabled; written false, "
                              "so the job stays off")
    else:
        value = str(raw).strip().lower() in ("t", "true", "1", "yes", "on", "y")
        note = f"the database holds {held(raw)}, not a boolean; read as {str(value).lower()}"
    if value and placeholder_cron:
        return False, "the database holds true; written false because the schedule is a placeholder (see cron)"
    return value, note


def _service(row: Mapping[str, Any]) -> tuple[str, Optional[str]]:
    raw = row.get("service")
    if raw is None or not str(raw).strip():
        raise _Refused(f"service is {held(raw)}: the kit needs the service that runs the job",
                       "set it in the database (UPDATE public.job_schedules SET service = '...' WHERE job_name = ...) "
                       "and import again, or add the job to jobs.yaml by hand")
    raw = str(raw)
    if _probe("service", raw) is None:
        return raw, None
    slug = _slug(raw)
    if not slug:
        raise _Refused(f"service {held(raw)} has no letters or digits to make a service name from",
                       "set the service's name in the database and import again")
    return slug, (f"the database holds {held(raw)}, which is not lower-case letters, digits and single dashes; "
                  "check that the scheduler reaches the service by this name")


def _endpoint(row: Mapping[str, Any]) -> tuple[str, Optional[str]]:
    raw = row.get("endpoint")
    if raw is None or not str(raw).strip():
        raise _Refused(f"endpoint is {held(raw)}: the kit needs the path the service is called on",
                       "set it in the database (UPDATE public.job_schedules SET endpoint = '/api/jobs/...' "
                       "WHERE job_name = ...) and import again, or add the job to jobs.yaml by hand")
    raw = str(raw)
    problem = _probe("endpoint", raw)
    if problem is None:
        return raw, None
    if "://" not in raw and not raw.startswith("/") and _probe("endpoint", "/" + raw) is None:
        return "/" + raw, f"the database holds {held(raw)}; jobs.yaml takes a path starting with /"
    raise _Refused(f"endpoint {problem}",
                   "jobs.yaml takes a path on the service starting with / (no spaces, no host); set it in the "
                   "database and import again, or add the job to jobs.yaml by hand")


def _config(row: Mapping[str, Any]) -> tuple[dict, Optional[str]]:
    raw = row.get("config")
    value, note = raw, None
    if isinstance(raw, str):
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            value, note = decoded, ("the database holds it as text (a JSON string, or a text column), not as a JSON "
                                    "object; written as the object the text holds")
    if raw is None:
        value, note = {}, "the database holds NULL; written as {} (no settings)"
    elif not isinstance(value, dict):
        value, note = {}, (f"the database holds {held(raw, 200)}, which is not a JSON object; written as {{}}: "
                           "put the settings the job needs here")
    problem = _probe("config", value)
    if problem is not None:
        raise _Refused(f"config: {problem}", "change the job's config in the database so that jobs.yaml can hold it "
                                             "(see the reason), and import again")
    return value, note


def _convert(row: Mapping[str, Any], taken: set[str], claimed: set[str]) -> ImportedJob:
    notes: list[FieldNote] = []

    def keep(field_name: str, result: tuple[Any, Optional[str]]) -> Any:
        value, note = result
        if note:
            notes.append(FieldNote(field_name, note))
        return value

    name = keep("name", _name(row, taken, claimed))
    service = keep("service", _service(row))
    endpoint = keep("endpoint", _endpoint(row))
    config = keep("config", _config(row))
    cron = keep("cron", _cron(row))
    enabled = keep("enabled", _enabled(row, placeholder_cron=any(n.field == "cron" for n in notes)))
    display_name = keep("display_name", _text(row, "display_name"))
    description = keep("description", _text(row, "description"))
    job = JobDefinition(name=name, cron=cron, service=service, endpoint=endpoint, display_name=display_name,
                        description=description, enabled=enabled, config=config)
    order = {f: i for i, f in enumerate(FILE_FIELDS)}
    return ImportedJob(job, tuple(sorted(notes, key=lambda n: order[n.field])))


# --- rendering -------------------------------------------------------------------------------------------------

def _job_lines(item: ImportedJob) -> list[str]:
    notes = {n.field: n.note for n in item.notes}
    lines: list[str] = []
    for name in FILE_FIELDS:
        value = getattr(item.job, name)
        comment = f"  {NOTE} {_one_line(notes[name])}" if name in notes else ""
        if value is None or (name == "config" and value == {} and not comment):
            if comment:
                lines.append(f"    {NOTE} {name}: {_one_line(notes[name])}")
            continue
        key = f"  - {name}:" if name == "name" else f"    {name}:"
        if name == "cron":
            lines.append(f"{key} {json.dumps(value, ensure_ascii=False)}{comment}")
        elif name == "enabled":
            lines.append(f"{key} {'true' if value else 'false'}{comment}")
        elif name == "config":
            body = _config_lines(value)
            if body is None:
                raise _Refused("config cannot be written as YAML that loads back to the same value",
                               "add the job to jobs.yaml by hand")
            lines += [f"{key} {body[0]}{comment}"] if not body[0].startswith(" ") else [f"{key}{comment}", *body]
        else:
            lines.append(f"{key} {_scalar(value)}{comment}")
    return lines


def _left_out_lines(item: LeftOutRow) -> list[str]:
    lines = [f"  {NOTE} left out: the row {held(item.label)} cannot be made valid: {_one_line(item.reason)}.",
             f"  {NOTE} fix: {_one_line(item.fix)}. The row as the database holds it:"]
    for name in FILE_FIELDS:
        column = COLUMN_OF.get(name, name)
        if column in item.row:
            lines.append(f"  #   {column}: {held(item.row[column], 200)}")
    return lines


def _checked(item: ImportedJob) -> ImportedJob:
    """The job as it will load from the file, by the kit's validator: a job that does not load back is refused."""
    try:
        (loaded,) = validate_text("jobs:\n" + "\n".join(_job_lines(item)) + "\n", "(imported job)")
    except JobsFileError as error:
        raise _Refused(f"the kit's validator refuses it as written: {error.problems[0]}",
                       "add the job to jobs.yaml by hand") from None
    if loaded != item.job:
        raise _Refused("it does not load back to the same values", "add the job to jobs.yaml by hand")
    return item


def import_jobs(rows: Iterable[Mapping[str, Any]], source: str = "the database") -> JobsImport:
    """The jobs.yaml text for `rows`, sorted by job name, valid by the kit's validator (checked here)."""
    rows = list(rows)
    taken = {str(r.get("job_name")) for r in rows if r.get("job_name") is not None}
    claimed: set[str] = set()
    entries: list[tuple[str, int, list[str]]] = []  # (sort key, tie-break, lines)
    jobs: list[ImportedJob] = []
    left_out: list[LeftOutRow] = []
    retired: list[str] = []
    # Rows with valid names first, so a normalised name can never take the name of a row that has it.
    ordered = sorted(rows, key=lambda r: (str(r.get("job_name") or ""), json.dumps(r, sort_keys=True, default=str)))
    for index, row in enumerate(ordered):
        label = str(row.get("job_name") or "")
        if row.get("retired_at") is not None:
            retired.append(label)
            entries.append((label, index, [
                f"  {NOTE} {held(label)} is retired (retired_at {held(str(row['retired_at']))}): left out, since a "
                "job jobs.yaml does not list stays retired; list it again to bring it back"]))
            continue
        try:
            item = _checked(_convert(row, taken, claimed))
        except _Refused as refused:
            item_out = LeftOutRow(label, refused.reason, refused.fix, dict(row))
            left_out.append(item_out)
            entries.append((label, index, _left_out_lines(item_out)))
            continue
        claimed.add(item.job.name)
        jobs.append(item)
        entries.append((item.job.name, index, _job_lines(item)))
    entries.sort(key=lambda e: (e[0], e[1]))
    jobs.sort(key=lambda j: j.job.name)
    changed = sum(len(j.notes) for j in jobs)
    summary = (f"# Written by `make jobs-import` from {_one_line(source)}: {len(jobs)} job(s);\n"
               f"# {changed} value(s) changed to fit the kit's rules and {len(left_out)} row(s) left out, each marked "
               f"`{NOTE[2:]}`;\n# {len(retired)} retired row(s) not listed. Review each of those lines before the "
               "first deploy (docs/jobs-import.md).\n")
    body = "\n\n".join("\n".join(lines) for _, _, lines in entries)
    if not jobs:
        text = HEADER + summary + "jobs: []\n" + ("".join(f"{line}\n" for _, _, ls in entries for line in ls))
    else:
        text = HEADER + summary + "jobs:\n" + body + "\n"
    loaded = validate_text(text, "(imported jobs.yaml)")  # raises if the importer itself is wrong
    if loaded != [j.job for j in jobs]:
        raise AssertionError("the imported jobs.yaml does not load back to the imported jobs")
    return JobsImport(text=text, jobs=jobs, left_out=left_out, retired=retired)


# --- what a deploy changes -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobFieldChange:
    """One thing a deploy of jobs.yaml does to a row the database already holds."""

    job: str
    column: Optional[str]  # None: about the row as a whole
    old: Any = None
    new: Any = None
    why: str = ""

    def __str__(self) -> str:
        if self.column is None:
            return f"job {self.job}: {self.why}"
        return f"job {self.job}: {self.column} {held(self.old)} -> {held(self.new)} ({self.why})"


def job_field_changes(rows: Iterable[Mapping[str, Any]], jobs: Sequence[JobDefinition],
                      deployed: Optional[Mapping[str, Mapping[str, Any]]] = None) -> list[JobFieldChange]:
    """What deploying `jobs` writes into the rows that exist, per the Job provider's rules; one item per change.

    `deployed`: the jobs the stack's state records (jobs_cli.jobs_from_state); None or empty on a first deploy.
    - A job with no Job resource in the state yet (every job on a first deploy) is created, and create adopts an
      existing row by writing every definition field from jobs.yaml, `enabled` and `cron_expression` included,
      and clears `retired_at`: the file wins on every field.
    - A job the state has is updated when jobs.yaml changed it since the last deploy, or when `up --refresh` finds
      drift; `enabled` and `cron_expression` are then written only if jobs.yaml changed that field itself, so an
      admin's change to them survives.
    - A row jobs.yaml does not list is retired only if the state has its job; on a first deploy it is left alone.
    """
    deployed = deployed or {}
    by_name = {str(r.get("job_name")): r for r in rows if r.get("job_name") is not None}
    listed = {job.name for job in jobs}
    changes: list[JobFieldChange] = []
    for job in sorted(jobs, key=lambda j: j.name):
        row = by_name.get(job.name)
        if row is None:
            continue  # a new row: the preview shows it as created
        prior = deployed.get(job.name)
        retired = row.get("retired_at") is not None
        file_changed = prior is not None and any(getattr(job, f) != prior.get(f) for f in FILE_FIELDS[1:])
        for name in FILE_FIELDS[1:]:
            column = COLUMN_OF.get(name, name)
            old, new = row.get(column), getattr(job, name)
            if _same(old, new):
                continue
            if prior is None or retired:
                why = f"jobs.yaml wins: the deploy adopts the row; {_KEEP_DB_VALUE}"
            elif name in ADMIN_FIELDS:
                if new == prior.get(name):
                    continue  # an admin's change that survives: jobs.yaml did not change this field
                why = ("jobs.yaml changed it since the last deploy, so the file wins over the database; "
                       + _KEEP_DB_VALUE)
            elif file_changed:
                why = "jobs.yaml changed this job since the last deploy; the deploy writes the file's value"
            else:
                why = "drift: `pulumi up --refresh` writes the file's value, a plain `up` leaves it"
            changes.append(JobFieldChange(job.name, column, old, new, why))
        if retired:
            changes.append(JobFieldChange(job.name, "retired_at", row.get("retired_at"), None,
                                          "the retired job comes back; its statistics and history continue"))
    for name in sorted(set(by_name) - listed):
        row = by_name[name]
        if row.get("retired_at") is not None:
            continue
        if name in deployed:
            changes.append(JobFieldChange(name, None, why="not in jobs.yaml: the deploy retires it (enabled false, "
                                                          "retired_at set; its row, statistics and history stay)"))
        else:
            changes.append(JobFieldChange(name, None, why="not in jobs.yaml and not deployed by this stack: the "
                                                          "deploy leaves the row as it is; list it in jobs.yaml to "
                                                          "manage it (make jobs-import writes every row)"))
    return changes


def _same(old: Any, new: Any) -> bool:
    # Strictly: NULL is not false, a JSON string holding an object is not that object, 1 is not true.
    return type(old) is type(new) and old == new if isinstance(new, (bool, dict)) else old == new
