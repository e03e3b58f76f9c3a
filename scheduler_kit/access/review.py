"""The review of a change: two observed matrices of one database, before and after the head's deploy over the base's,
turned into one Markdown document. Pure logic: no database, no engine (scheduler_kit/access_review.py runs those)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Optional

from scheduler_kit.access.observe import Observation, ObservedCell
from scheduler_kit.access.render import ACCESS_RANK

MARKER = "<!-- scheduler-kit:review -->"
# GitHub refuses a comment body longer than this many characters.
COMMENT_LIMIT = 65535
# A <details> block folds text longer than this many lines (about a screen).
FOLD_LINES = 25
WIDENED, NARROWED, CHANGED = "widened", "narrowed", "changed"


@dataclass
class CellChange:
    row: str
    actor: str
    before: Optional[str]  # None: the row is new in the head's matrix file
    after: Optional[str]  # None: the row is gone from it
    causes: list[str]

    @property
    def direction(self) -> str:
        before, after = ACCESS_RANK.get(self.before or "denied", 0), ACCESS_RANK.get(self.after or "denied", 0)
        return WIDENED if after > before else NARROWED if after < before else CHANGED


@dataclass
class ProfileReview:
    """One database profile's review; `error` set when it could not run (then nothing else is)."""
    profile: str
    error: str = ""
    base: Optional[Observation] = None
    head: Optional[Observation] = None
    steps: list[dict] = field(default_factory=list)  # the head deploy's resource steps that changed something
    resource_changes: dict = field(default_factory=dict)  # op -> count, the engine's summary
    jobs_summary: str = ""

    @property
    def changes(self) -> list[CellChange]:
        return access_changes(self.base, self.head) if self.base and self.head else []

    @property
    def undeclared(self) -> list[ObservedCell]:
        """The head's observed cells that its own matrix file does not expect."""
        return self.head.differing if self.head else []


def _policy_texts(observation: Observation) -> dict[str, str]:
    return observation.catalog.policy_lines()


def _cause_sets(cell: ObservedCell) -> tuple[set[str], set[str], list[str]]:
    grants, policies, summaries = set(), set(), []
    for cause in cell.causes:
        grants |= set((cause.get("privilege") or {}).get("grants", []))
        for rls in cause.get("row_security", []):
            policies |= {f"{p['table']}.{p['name']}" for p in rls["policies"]}
        summaries.append(cause["summary"])
    return grants, policies, summaries


def _why(before: Optional[ObservedCell], after: Optional[ObservedCell], texts_before: dict, texts_after: dict) -> list[str]:
    """What changed among the grants and policies that decide this cell, or (when nothing visible did) the cell's
    reasons after the deploy."""
    grants_b, policies_b, _ = _cause_sets(before) if before else (set(), set(), [])
    grants_a, policies_a, summaries_a = _cause_sets(after) if after else (set(), set(), [])
    why = [f"grant added: {g}" for g in sorted(grants_a - grants_b)]
    why += [f"grant gone: {g}" for g in sorted(grants_b - grants_a)]
    for name in sorted(policies_a | policies_b):
        if name not in texts_before:
            why.append(f"policy added: `{name.split('.', 1)[1]}` on {name.split('.', 1)[0]}")
        elif name not in texts_after:
            why.append(f"policy dropped: `{name.split('.', 1)[1]}` on {name.split('.', 1)[0]}")
        elif texts_before[name] != texts_after[name]:
            why.append(f"policy changed: `{name.split('.', 1)[1]}` on {name.split('.', 1)[0]}")
    return why or summaries_a


def access_changes(base: Observation, head: Observation) -> list[CellChange]:
    """Every cell whose observed outcome differs between the two, widenings first, then in the matrix's order."""
    before, after = base.by_key(), head.by_key()
    texts_b, texts_a = _policy_texts(base), _policy_texts(head)
    order = {key: i for i, key in enumerate([*after, *(k for k in before if k not in after)])}
    changes = []
    for key in order:
        b, a = before.get(key), after.get(key)
        if b and a and b.observed == a.observed:
            continue
        changes.append(CellChange(key[0], key[1], b.observed if b else None, a.observed if a else None,
                                  _why(b, a, texts_b, texts_a)))
    rank = {WIDENED: 0, CHANGED: 1, NARROWED: 2}
    return sorted(changes, key=lambda c: (rank[c.direction], order[(c.row, c.actor)]))


def _fold(summary: str, body: str, language: str = "") -> list[str]:
    block = [f"```{language}", body.rstrip("\n"), "```"]
    if body.count("\n") < FOLD_LINES:
        return [f"**{summary}**", "", *block]
    return ["<details>", f"<summary>{summary}</summary>", "", *block, "", "</details>"]


def _text_diff(before: list[str], after: list[str]) -> str:
    return "\n".join(line for line in difflib.unified_diff(before, after, "base", "head", n=1, lineterm=""))


def _catalog_diffs(review: ProfileReview) -> list[str]:
    lines: list[str] = []
    texts_b, texts_a = _policy_texts(review.base), _policy_texts(review.head)
    policy_diff = _text_diff([line for k in sorted(texts_b) for line in texts_b[k].splitlines()],
                             [line for k in sorted(texts_a) for line in texts_a[k].splitlines()])
    changed = sorted(k for k in set(texts_a) | set(texts_b) if texts_a.get(k) != texts_b.get(k))
    if policy_diff:
        lines += ["", *_fold(f"Policy text: {len(changed)} policies added, changed or dropped", policy_diff, "diff")]
    grant_diff = _text_diff(review.base.catalog.grant_lines(), review.head.catalog.grant_lines())
    if grant_diff:
        count = sum(1 for line in grant_diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        lines += ["", *_fold(f"Grants: {count} lines added or removed", grant_diff, "diff")]
    return lines


def _deploy_counts(review: ProfileReview) -> str:
    counts = {op: n for op, n in sorted(review.resource_changes.items()) if op != "same" and n}
    same = review.resource_changes.get("same", 0)
    return (", ".join(f"{n} {op}" for op, n in counts.items()) or "nothing") + f" ({same} unchanged)"


def headline(review: ProfileReview) -> str:
    if review.error:
        return f"**{review.profile}**: could not run: {review.error}"
    changes = review.changes
    widened = sum(c.direction == WIDENED for c in changes)
    narrowed = sum(c.direction == NARROWED for c in changes)
    other = len(changes) - widened - narrowed
    verdict = (f"❌ **{len(review.undeclared)} cells differ from the head's matrix file**" if review.undeclared
               else "✅ the head's matrix file matches")
    return (f"**{review.profile}**: the deploy changed {_deploy_counts(review)}; access: "
            f"{'⚠️ ' if widened else ''}{widened} cells widened, {narrowed} narrowed, {other} otherwise changed; "
            f"{verdict}")


def profile_section(review: ProfileReview) -> list[str]:
    lines = ["", f"### {review.profile}"]
    if review.error:
        return lines + ["", f"Could not run: {review.error}"]
    lines += ["", f"**What the deploy changed**: {_deploy_counts(review)}."]
    if review.steps:
        lines += [""] + [f"- {s['op']} `{s['urn'].rsplit('::', 1)[-1]}`" + (f" ({', '.join(s['diffs'])})" if s["diffs"] else "")
                         for s in review.steps]
    changes = review.changes
    lines += ["", f"**Access changes ({len(changes)})**", ""]
    if not changes:
        lines.append("No cell of the observed matrix changed.")
    else:
        lines += ["| | object and operation | actor | before → after | caused by |", "| --- | --- | --- | --- | --- |"]
        for c in changes:
            mark = {"widened": "⚠️ **widened**", "narrowed": "narrowed", "changed": "changed"}[c.direction]
            causes = "; ".join(c.causes).replace("|", "\\|")
            lines.append(f"| {mark} | {c.row} | {c.actor} | {c.before or '(new row)'} → {c.after or '(row gone)'} "
                         f"| {causes} |")
    undeclared = review.undeclared
    lines += ["", "**The head's matrix file** (`tests/access_matrix.yaml`): "
                  + (f"{len(undeclared)} observed cells differ from it; change the file in this pull request if "
                     "they are meant:" if undeclared else "every observed cell is as it says.")]
    lines += [f"- {c.row}, {c.cell.actor}: observed `{c.observed}`, the file says `{c.cell.expected}`"
              for c in undeclared]
    if review.jobs_summary:
        # The jobs summary without its own marker and heading: the review's comment replaces the jobs comment.
        lines += ["", "**Jobs** (jobs.yaml, base → head)", "", *review.jobs_summary.splitlines()[3:]]
    lines += _catalog_diffs(review)
    return lines


def review_markdown(reviews: list[ProfileReview], base_ref: str, base_commit: str, head: str) -> str:
    lines = [MARKER, f"## Access review: `{base_ref}` ({base_commit[:10]}) → {head}", ""]
    lines += [f"- {headline(r)}" for r in reviews]
    for review in reviews:
        lines += profile_section(review)
    return "\n".join(lines) + "\n"


def fit_comment(markdown: str, pointer: str, limit: int = COMMENT_LIMIT) -> str:
    """The review as a pull-request comment of at most `limit` characters: whole when it fits; otherwise the folded
    blocks are dropped first, then the text is cut at a line, each time with `pointer` (where the full review is)."""
    if len(markdown) <= limit:
        return markdown
    note = f"\n\n_The review is longer than a comment may be; {pointer}._\n"
    lines, kept, folded = markdown.splitlines(), [], False
    for line in lines:
        if line == "<details>":
            folded = True
            kept.append("_(folded text left out here; see the full review)_")
        elif line == "</details>":
            folded = False
        elif not folded:
            kept.append(line)
    text = "\n".join(kept)
    if len(text) + len(note) <= limit:
        return text + note
    cut = text[: limit - len(note)]
    return cut[: cut.rfind("\n")] + note
