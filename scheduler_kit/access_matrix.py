"""The observed access matrix of a database, as JSON, Markdown and one HTML page.

    python -m scheduler_kit.access_matrix [--authenticator-dsn DSN | --dsn DSN] [--target postgres|supabase]
                                          [--matrix tests/access_matrix.yaml] [--out build/access-matrix]
                                          [--exit-code]

Every cell of the matrix file, every token shape of its actor, runs through PostgREST's login role (`authenticator`,
POLICY_TEST_AUTHENTICATOR_DSN by default; given only POLICY_TEST_DSN, the owner's role, a temporary stand-in for it
that is dropped at the end) in transactions that are rolled back: it leaves nothing behind. The target
(POLICY_TEST_TARGET, default postgres) picks the admin lookup table's rows. Writes OUT/access-matrix.json, .md and
.html and prints the Markdown.

Exit status: 0 written (with --exit-code: 0 every cell as the file expects, 1 some differ), 2 usage, 3 it could not
run (no connection, the kit not deployed there, an unreadable matrix file).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path


from scheduler_kit.access.cells import MATRIX_PATH
from scheduler_kit.access.observe import ObserveError, Observation, observe
from scheduler_kit.access.render import to_html, to_json, to_markdown
from scheduler_kit.access.stand_in import AuthenticatorStandIn, StandInError

EXIT_DIFFERS, EXIT_ERROR = 1, 3
STEM = "access-matrix"


def write(observation: Observation, out: Path, title: str = "") -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / f"{STEM}.{kind}" for kind in ("json", "md", "html")}
    paths["json"].write_text(to_json(observation), encoding="utf-8")
    paths["md"].write_text(to_markdown(observation), encoding="utf-8")
    paths["html"].write_text(to_html(observation, title), encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler_kit.access_matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--authenticator-dsn", default=os.environ.get("POLICY_TEST_AUTHENTICATOR_DSN"),
                        help="PostgREST's login role on the database (default: $POLICY_TEST_AUTHENTICATOR_DSN)")
    parser.add_argument("--dsn", default=os.environ.get("POLICY_TEST_DSN"),
                        help="without an authenticator DSN: the kit's owner (postgres on Supabase), which makes a "
                        "temporary stand-in for authenticator (default: $POLICY_TEST_DSN)")
    parser.add_argument("--target", choices=("postgres", "supabase"),
                        default=os.environ.get("POLICY_TEST_TARGET", "postgres"))
    parser.add_argument("--matrix", type=Path, default=MATRIX_PATH)
    parser.add_argument("--out", type=Path, default=Path("build/access-matrix"))
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when a cell differs from the matrix file")
    args = parser.parse_args(argv)
    if not args.authenticator_dsn and not args.dsn:
        print("access matrix: no database: set POLICY_TEST_AUTHENTICATOR_DSN (PostgREST's login role, "
              "`authenticator`, on the deployed database) or POLICY_TEST_DSN (its owner, which makes a stand-in for "
              "authenticator); `make matrix` uses the local stack's", file=sys.stderr)
        return EXIT_ERROR
    try:
        logins = (contextlib.nullcontext(args.authenticator_dsn) if args.authenticator_dsn
                  else AuthenticatorStandIn(args.dsn))
        with logins as actor_dsn:
            observation = observe(actor_dsn, args.target, args.matrix)
    except (ObserveError, StandInError) as error:
        print(f"access matrix: {error}", file=sys.stderr)
        return EXIT_ERROR
    paths = write(observation, args.out)
    print(to_markdown(observation))
    print(f"access matrix: {len(observation.cells)} cells observed in {observation.seconds:.1f} s, "
          f"{len(observation.differing)} differ; wrote {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    return EXIT_DIFFERS if args.exit_code and observation.differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
