"""An observed matrix as JSON (stable order), a Markdown table and one self-contained HTML page (no external file:
styles inline, no script), a row per object and operation, a column per actor."""

from __future__ import annotations

import html
import json

from scheduler_kit.access.cells import OUTCOMES
from scheduler_kit.access.observe import MIXED, Observation, ObservedCell

# How much access an outcome gives: a change to a higher rank is a widening. `zero` and `policy` hold the privilege
# (only row level security stops them), which is more than `denied`.
ACCESS_RANK = {"rows": 3, "some": 2, MIXED: 2, "zero": 1, "policy": 1, "denied": 0, "rejected": 0, "refused": 0,
               "invalid": 0}
# Each outcome a colour and a word: the word is always printed, the colour only helps.
COLOURS = {"rows": "#b2f2bb", "some": "#ffc078", MIXED: "#ff8787", "zero": "#d0ebff", "policy": "#e5dbff",
           "denied": "#e9ecef", "rejected": "#ced4da", "refused": "#f8f9fa", "invalid": "#fff3bf"}
WORDS = {**OUTCOMES, MIXED: "the actor's token shapes did not all behave alike (see the cell)",
         "invalid": "the statement's data was refused by a constraint or trigger"}


def to_json(observation: Observation) -> str:
    return json.dumps(observation.as_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_cell(cell: ObservedCell) -> str:
    if not cell.differs:
        return cell.observed
    return f"**{cell.observed}** ≠ {cell.cell.expected}"


def to_markdown(observation: Observation) -> str:
    by_key = observation.by_key()
    lines = [f"### Observed access matrix ({observation.target})", "",
             f"`{observation.database}`, {len(observation.cells)} cells of `{observation.matrix_file}`, "
             f"**{len(observation.differing)} differ** from it (shown as **observed** ≠ expected).", "",
             "| object | operation | " + " | ".join(observation.actors) + " |",
             "| --- | --- | " + " | ".join("---" for _ in observation.actors) + " |"]
    for row in observation.rows():
        obj, _, operation = row.partition(" ")
        cells = [_md_cell(by_key[(row, actor)]) if (row, actor) in by_key else "" for actor in observation.actors]
        lines.append(f"| {obj} | {operation} | " + " | ".join(cells) + " |")
    if observation.differing:
        lines += ["", "**Cells that differ from the matrix file**", ""]
        for cell in observation.differing:
            lines.append(f"- {cell.row}, {cell.cell.actor}: observed `{cell.observed}`, expected "
                         f"`{cell.cell.expected}`; " + "; ".join(_md(c["summary"]) for c in cell.causes))
    lines += ["", "Outcomes: " + "; ".join(f"`{o}` {w}" for o, w in OUTCOMES.items()) + ".", ""]
    return "\n".join(lines)


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #212529; }
table.matrix { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid #adb5bd; padding: 3px 6px; vertical-align: top; }
table.matrix thead th { position: sticky; top: 0; background: #f1f3f5; }
td.cell { min-width: 6em; }
table.matrix tbody td:nth-child(2) { white-space: nowrap; }
td.cell summary { cursor: pointer; font-weight: 600; }
td.cell.differs { outline: 3px solid #c92a2a; outline-offset: -3px; }
td.cell .expected { color: #c92a2a; font-weight: 600; display: block; }
td.cell .why { font-size: 12px; max-width: 28em; white-space: normal; }
td.cell .why code { font-size: 11px; }
.legend span { display: inline-block; padding: 2px 8px; margin: 2px; border: 1px solid #adb5bd; }
"""


def _why(cell: ObservedCell) -> str:
    parts = []
    for cause in cell.causes:
        parts.append(f"<p>{html.escape(cause['summary'])}</p>")
        for rls in cause.get("row_security", []):
            for policy in rls["policies"]:
                text = f"{policy['name']} ({policy['command']} TO {', '.join(policy['roles'])})"
                if policy["using"]:
                    text += f" USING {policy['using']}"
                if policy["with_check"]:
                    text += f" WITH CHECK {policy['with_check']}"
                parts.append(f"<p><code>{html.escape(text)}</code></p>")
    shapes = ", ".join(f"{html.escape(v)}: {html.escape(o)}" for v, o in sorted(cell.by_variant.items()))
    parts.append(f"<p>token shapes: {shapes}</p>")
    return "".join(parts)


def _html_cell(cell: ObservedCell) -> str:
    label = f"{cell.cell.actor}:{cell.row}"
    classes = f"cell o-{cell.observed}" + (" differs" if cell.differs else "")
    expected = (f'<span class="expected">≠ expected {html.escape(cell.cell.expected)}</span>' if cell.differs else "")
    return (f'<td class="{classes}" style="background:{COLOURS.get(cell.observed, "#fff")}" '
            f'data-cell="{html.escape(label)}" data-observed="{cell.observed}" data-expected="{cell.cell.expected}">'
            f'<details><summary>{html.escape(cell.observed)}</summary><div class="why">{_why(cell)}</div></details>'
            f"{expected}</td>")


def to_html(observation: Observation, title: str = "") -> str:
    by_key = observation.by_key()
    head = "".join(f"<th>{html.escape(a)}</th>" for a in observation.actors)
    body = []
    for row in observation.rows():
        obj, _, operation = row.partition(" ")
        cells = "".join(_html_cell(by_key[(row, a)]) if (row, a) in by_key else "<td></td>" for a in observation.actors)
        body.append(f'<tr data-row="{html.escape(row)}"><th>{html.escape(obj)}</th><td>{html.escape(operation)}</td>'
                    f"{cells}</tr>")
    legend = "".join(f'<span style="background:{COLOURS[o]}"><b>{html.escape(o)}</b>: {html.escape(w)}</span>'
                     for o, w in WORDS.items())
    title = title or f"Observed access matrix ({observation.target})"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p id="summary">{html.escape(observation.database)}, target {html.escape(observation.target)}: {len(observation.cells)}
cells of {html.escape(observation.matrix_file)}, <b id="differing">{len(observation.differing)}</b> differ from it
(outlined in red). Open a cell for the grants and policies that decided it.</p>
<p class="legend">{legend}</p>
<table class="matrix"><thead><tr><th>object</th><th>operation</th>{head}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
</body></html>
"""
