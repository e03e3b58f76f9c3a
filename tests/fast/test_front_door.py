"""The README is the front page and docs/ holds the depth: what they name must exist and what they mark safe must run.

Checked: every `make <target>` they name is a Makefile target (and the README's are listed by `make help`); every
relative link resolves, anchors included (GitHub's heading slugs); every path in backticks that points into the
repository exists; the README stays short; the README's blocks marked SAFE_BLOCK_MARKER run and exit 0."""

import fnmatch
import os
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.support.toolchain import ROOT

README_MAX_LINES = 200
SAFE_BLOCK_MARKER = "<!-- front-door: run -->"  # the next fenced block runs as written, in the checkout
SHELL_FENCES = {"sh", "bash", "shell", "console"}
# Named in docs but not in the repository: outputs the kit writes (under build/) and a file the reader would write.
NOT_IN_THE_REPOSITORY = {"access-matrix.json", "access-matrix.md", "access-matrix.html", "review.md",
                         "review-comment.md", "policy-pack/team_rules.py"}
FILE_EXTENSIONS = {"py", "sql", "yaml", "yml", "json", "md", "sh", "toml", "txt", "env", "go", "mod", "ini"}


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def split_markdown(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The prose (fenced blocks blanked out, line count kept) and the fenced blocks as (line before, language, body)."""
    prose, blocks, body, before, fence = [], [], [], "", None
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if fence is None and re.match(r"^\s*```", line):
            fence, body, before = line.strip()[3:].strip().split(" ")[0], [], lines[i - 1].strip() if i else ""
            prose.append("")
        elif fence is not None and line.strip().startswith("```"):
            blocks.append((before, fence, "\n".join(body)))
            fence = None
            prose.append("")
        elif fence is not None:
            body.append(line)
            prose.append("")
        else:
            prose.append(line)
    return "\n".join(prose), blocks


def code_spans(prose: str) -> list[str]:
    return [m.group(2).strip() for m in re.finditer(r"(`+)(.+?)\1", prose, flags=re.S)]


def makefile_targets() -> set[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?![=:])", line)
        if m and not m.group(1).startswith("."):
            targets.update(m.group(1).split())
    return targets


def make_targets_named(text: str) -> set[str]:
    """Targets of every `make ...` in code spans and shell blocks (their comments dropped)."""
    prose, blocks = split_markdown(text)
    snippets = code_spans(prose) + [re.sub(r"(^|\s)#.*$", "", line) for _, language, body in blocks
                                    if language in SHELL_FENCES for line in body.split("\n")]
    named = set()
    for snippet in snippets:
        for m in re.finditer(r"(?<![\w./-])make((?:[ \t]+[^\s]+)*)", snippet):
            for token in m.group(1).split():
                token = token.strip(",.;:()")
                if "=" in token or token.startswith("-"):
                    continue
                if not re.fullmatch(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*", token):
                    break
                named.update(token.split("|"))
    return named


def github_slugs(text: str) -> set[str]:
    prose, _ = split_markdown(text)
    slugs, seen = set(), {}
    for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", prose, flags=re.M):
        title = m.group(1).strip().lower()
        slug = "".join(c for c in title if c in " -_" or unicodedata.category(c)[0] in "LN").replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else f"{slug}-{count}")
    return slugs


def relative_links(text: str) -> list[str]:
    prose, _ = split_markdown(text)
    prose = re.sub(r"(`+).+?\1", "", prose, flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", prose) if not re.match(r"^[a-z]+:", t)]


def generated_paths() -> set[str]:
    """The paths .gitignore anchors at the top (a doc may name them; they need not exist)."""
    return {".git"} | {line.strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
                       if line.startswith("/")}


def is_generated(span: str) -> bool:
    return any(fnmatch.fnmatch(span.rstrip("/"), g) or span.startswith(g + "/") for g in generated_paths())


def repository_files() -> tuple[set[str], set[str]]:
    """Top-level entries and the base names of every file, outside generated paths and caches."""
    skip = {"__pycache__", ".pytest_cache", ".hypothesis", ".venv", ".git", ".local", "build"}
    top = {p.name for p in ROOT.iterdir() if p.name not in skip}
    names = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        names.update(files)
    return top, names


def repo_paths_named(text: str) -> set[str]:
    """Code spans that look like a path into the repository: a tracked top-level folder first, or a file name."""
    top, _ = repository_files()
    prose, _ = split_markdown(text)
    found = set()
    for span in code_spans(prose):
        span = span.split("::", 1)[0].rstrip(".,;:")
        if (not re.fullmatch(r"[\w.*-]+(/[\w.*-]*)*", span) or re.fullmatch(r"\.\w+", span)
                or span in NOT_IN_THE_REPOSITORY or is_generated(span)):
            continue
        first = span.split("/", 1)[0]
        if "/" in span and first in top and (ROOT / first).is_dir():
            found.add(span)
        elif "/" not in span and (span in top or span.rsplit(".", 1)[-1] in FILE_EXTENSIONS and "." in span):
            found.add(span)
    return found


def path_exists(span: str, basenames: set[str]) -> bool:
    if "*" in span:  # a pattern names at least one file, anywhere for a bare one (`*.sh`)
        return any(ROOT.glob(span.rstrip("/") if "/" in span else "**/" + span))
    if "/" not in span:
        return (ROOT / span).exists() or span in basenames
    return (ROOT / span.rstrip("/")).exists()


def test_every_make_target_named_in_the_readme_and_docs_exists():
    targets = makefile_targets()
    missing = {f"{page.relative_to(ROOT)}: make {t}" for page in pages()
               for t in make_targets_named(page.read_text()) - targets}
    assert not missing, sorted(missing)


def test_make_help_lists_every_target_the_readme_names():
    listed = set(re.findall(r"^\s*make (\S+)", subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, check=True, capture_output=True, text=True).stdout, re.M))
    named = make_targets_named((ROOT / "README.md").read_text())
    assert named and not named - listed, sorted(named - listed)


def test_every_relative_link_resolves_to_a_file_and_heading():
    broken = []
    for page in pages():
        for link in relative_links(page.read_text()):
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in github_slugs(target.read_text()):
                broken.append(f"{page.relative_to(ROOT)}: {link} (no such heading)")
    assert not broken, broken


def test_every_repository_path_in_backticks_exists():
    _, basenames = repository_files()
    missing = {f"{page.relative_to(ROOT)}: {span}" for page in pages()
               for span in repo_paths_named(page.read_text()) if not path_exists(span, basenames)}
    assert not missing, sorted(missing)


def test_the_readme_stays_a_front_page():
    lines = (ROOT / "README.md").read_text().count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move depth into docs/"
    assert "docs/troubleshooting.md" in (ROOT / "README.md").read_text()


def safe_blocks() -> list[str]:
    _, blocks = split_markdown((ROOT / "README.md").read_text())
    return [body for before, _, body in blocks if before == SAFE_BLOCK_MARKER]


def test_the_readme_marks_a_block_to_run():
    assert any("make help" in block for block in safe_blocks()), f"no block after {SAFE_BLOCK_MARKER} runs make help"


def quoted_outputs(block: str) -> list[str]:
    """What the block's comments say the commands print: each "quoted" text; `...` stands for anything."""
    return re.findall(r'"([^"\n]+)"', "\n".join(line.partition("#")[2] for line in block.splitlines()))


def shown_in(quoted: str, output: str) -> bool:
    pattern = r"\s+".join(re.escape(word) for word in quoted.split()).replace(re.escape("..."), ".*")
    return re.search(pattern, output) is not None


@pytest.mark.parametrize("block", safe_blocks())
def test_the_blocks_the_readme_marks_safe_run(block):
    """They run, and print what their comments quote (a README that says what a command prints keeps saying it)."""
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{block}\nexit {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
    quoted = quoted_outputs(block)
    assert quoted, f"the block's comments quote nothing it prints:\n{block}"
    missing = [text for text in quoted if not shown_in(text, result.stdout)]
    assert not missing, f"the README says these are printed, and they are not: {missing}\n{result.stdout[-3000:]}"


def setup_commands() -> list[str]:
    """The README's two set-up commands: the shell block under "## Set-up", comments cut."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Set-up", 1)[1].split("\n## ", 1)[0]
    _, blocks = split_markdown(section)
    body = next(body for _, fence, body in blocks if fence in SHELL_FENCES)
    return [line.split("#", 1)[0].strip() for line in body.splitlines() if line.split("#", 1)[0].strip()]


def test_ci_runs_the_readmes_set_up_commands_as_written():
    """.ci/run is the README's two commands on a clean clone: each must stand in it as a line of its own, unchanged
    (no extra arguments, variables or targets), the set-up command before the test command."""
    commands = setup_commands()
    assert len(commands) == 2, commands
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert all(command in ci_lines for command in commands), (commands, ".ci/run")
    assert ci_lines.index(commands[0]) < ci_lines.index(commands[1])


def test_the_readmes_resource_count_of_a_fresh_make_up_is_the_models():
    """`make up` on a fresh stack creates the plan's objects (target postgres), one Job per job of jobs.yaml, the
    three components and the stack: the count the README promises."""
    from scheduler_kit.config import settings_from_mapping
    from scheduler_kit.jobs_file import load_jobs
    from scheduler_kit.model import full_plan

    promised = re.search(r"its summary \((\d+)\s+resources created on a fresh stack\)",
                         " ".join((ROOT / "README.md").read_text(encoding="utf-8").split()))
    assert promised, "the README no longer says how many resources a fresh `make up` creates"
    plan = full_plan(settings_from_mapping({"host": "unused", "target": "postgres"}, with_password=False))
    components = 3  # SupabaseBase, SchedulerDatabase, ScheduledJobs
    assert int(promised.group(1)) == len(plan) + len(load_jobs(ROOT / "jobs.yaml")) + components + 1
