"""`make policy-allowance`: writes the policy pack's pinned ceiling of grants, policy-pack/allowed_grants.json.

    python -m scheduler_kit.grant_allowance [-o policy-pack/allowed_grants.json] [--check]

The CrossGuard pack (policy-pack/) refuses any Privileges resource that gives a role more than this file allows. The
file is a reviewed copy, not read from model.py at preview time: if the pack derived its allowance from the plan, a
hand edit of model.py that widens a grant would widen the allowance with it and pass. Widening a grant therefore
takes two visible changes, model.py and this file (which a platform team can own, e.g. with CODEOWNERS).
`--check` only reports whether the plan is still within the pinned file (a fast test runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import settings_from_mapping
from .model import full_plan
from .providers.privileges import Privileges

OUTPUT = Path(__file__).resolve().parent.parent / "policy-pack" / "allowed_grants.json"


def allowance() -> dict:
    """{object_type: {object: {grantee: {"privileges": [...], "columns": {privilege: [...]}}}}}, both targets."""
    allowed: dict = {}
    for target in ("postgres", "supabase"):
        plan = full_plan(settings_from_mapping({"host": "unused", "target": target}, with_password=False))
        for item in plan:
            if item.kind is not Privileges:
                continue
            for grantee, granted in item.inputs.grants.items():
                entry = allowed.setdefault(item.inputs.object_type, {}).setdefault(item.inputs.object, {}).setdefault(
                    grantee, {"privileges": [], "columns": {}})
                entry["privileges"] = sorted(set(entry["privileges"]) | set(granted["privileges"]))
                for privilege, columns in granted["columns"].items():
                    entry["columns"][privilege] = sorted(set(entry["columns"].get(privilege, [])) | set(columns))
    return allowed


def exceeding(pinned: dict, wanted: dict) -> list[str]:
    """What `wanted` grants beyond `pinned`, one line per object, grantee and privilege."""
    out = []
    for object_type, objects in wanted.items():
        for obj, grantees in objects.items():
            for grantee, entry in grantees.items():
                ceiling = pinned.get(object_type, {}).get(obj, {}).get(grantee, {"privileges": [], "columns": {}})
                for privilege in sorted(set(entry["privileges"]) - set(ceiling["privileges"])):
                    out.append(f"{object_type} {obj}: {privilege} to {grantee}")
                for privilege, columns in entry["columns"].items():
                    if privilege in ceiling["privileges"]:
                        continue
                    for column in sorted(set(columns) - set(ceiling["columns"].get(privilege, []))):
                        out.append(f"{object_type} {obj}: {privilege} ({column}) to {grantee}")
    return out


def render() -> str:
    return json.dumps({"comment": "The most each role may be granted on each kit object; the policy pack refuses more. "
                                  "Written by `make policy-allowance` from scheduler_kit/model.py, reviewed like code.",
                       "grants": allowance()}, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 when the plan grants more than the pinned file")
    args = parser.parse_args(argv)
    if args.check:
        pinned = json.loads(args.output.read_text(encoding="utf-8"))["grants"]
        beyond = exceeding(pinned, allowance())
        for line in beyond:
            print(f"{args.output}: the plan grants {line}, which the pinned allowance does not allow", file=sys.stderr)
        return 1 if beyond else 0
    args.output.write_text(render(), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
