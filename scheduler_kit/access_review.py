"""The access review of a change: who can now do what they could not before, and why.

    python -m scheduler_kit.access_review --base REF [--profile postgres|supabase|both] [--tree DIR] [--out DIR]
                                          [--pointer TEXT]

For each database profile (the kit's own local clusters): deploys REF's kit (a git worktree of it: its model,
policies, grants and jobs.yaml) into a throwaway database through the real Pulumi engine, observes the access matrix,
deploys the working tree's kit (--tree, default this checkout) over it, the upgrade path, and observes again. Writes
OUT/review.md (the whole review), OUT/review-comment.md (the same, fitted into a GitHub comment) and each observed
matrix as OUT/<profile>/{base,head}/access-matrix.{json,md,html}; prints the review.

Exit status: 0 the head's observed matrix is what its tests/access_matrix.yaml says, 1 it is not (on any profile),
2 usage, 3 it could not run (a ref that does not exist, a deploy that fails: the deploy's error in one line).
"""

from __future__ import annotations

import argparse
import contextlib
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

from scheduler_kit.access.kit_tree import BaseCache, TreeError, TreeStack, base_worktree, throwaway_stack
from scheduler_kit.access.observe import Observation, ObserveError, observe
from scheduler_kit.access.review import COMMENT_LIMIT, ProfileReview, fit_comment, review_markdown
from scheduler_kit.access_matrix import write
from scheduler_kit.jobs_cli import jobs_from_state, summarize
from scheduler_kit.jobs_file import JobsFileError, load_jobs
from scheduler_kit.local_cluster import PROFILES, Cluster
from scheduler_kit.pulumi_env import ROOT

EXIT_UNDECLARED, EXIT_ERROR = 1, 3
MATRIX_FILE = Path("tests/access_matrix.yaml")


def _base(stack: TreeStack, cluster: Cluster, base_dir: Path) -> tuple[Observation, dict]:
    stack.deploy(base_dir)
    observation = observe(cluster.actor_dsn_for(stack.database), cluster.target, base_dir / MATRIX_FILE)
    return observation, jobs_from_state(stack.deployed_state(base_dir))


def _kept_base(stack: TreeStack, cluster: Cluster, base_dir: Path, entry: Path, template: str) -> tuple[Observation, dict]:
    """The base from the cache when it holds this commit's, else deployed and kept there."""
    kept = entry / "base.pickle"
    if kept.exists() and cluster.has_database(template):
        observation, deployed_jobs, state = pickle.loads(kept.read_bytes())
        stack.restore(base_dir, state, template)
        return observation, deployed_jobs
    cluster.drop_database(stack.database)
    cluster.drop_database(template)
    cluster.copy_database(_empty_template(cluster), stack.database)
    observation, deployed_jobs = _base(stack, cluster, base_dir)
    state = stack.export_state(base_dir)
    cluster.copy_database(stack.database, template)
    entry.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(pickle.dumps((observation, deployed_jobs, state)))
    return observation, deployed_jobs


def _empty_template(cluster: Cluster) -> str:
    return "supabase_template" if cluster.profile == "supabase" else "template1"


def review_profile(profile: str, base_dir: Path, base_commit: str, tree: Path, out: Path,
                   cache: Optional[BaseCache] = None) -> ProfileReview:
    """Base deploy, observation, head deploy over it, observation; a ProfileReview with `error` set on failure."""
    review = ProfileReview(profile)
    started = time.monotonic()
    try:
        cluster = Cluster.start(profile)
    except (subprocess.CalledProcessError, SystemExit) as exc:
        review.error = f"the local {profile} cluster does not start ({exc})"
        return review
    if cache:
        name, database, template = cache.names(profile, base_commit)
        stacks = contextlib.nullcontext(TreeStack(cluster, database, name))
    else:
        stacks = throwaway_stack(cluster)
    with stacks as stack:
        stage = "the base"
        try:
            if cache:
                review.base, deployed_jobs = _kept_base(stack, cluster, base_dir, cache.entry(profile, base_commit),
                                                        template)
            else:
                review.base, deployed_jobs = _base(stack, cluster, base_dir)
            stage = "the head"
            try:
                review.jobs_summary = summarize(deployed_jobs, load_jobs(str(tree / "jobs.yaml")), "the base")
            except JobsFileError as error:
                raise TreeError(f"jobs.yaml is not valid: {'; '.join(map(str, error.problems))[:400]}") from None
            based = time.monotonic()
            result, review.steps = stack.deploy(tree)
            review.resource_changes = dict(result.summary.resource_changes or {})
            deployed = time.monotonic()
            review.head = observe(cluster.actor_dsn_for(stack.database), cluster.target, tree / MATRIX_FILE)
            print(f"access review: {profile}: base ready in {based - started:.0f} s, head deployed over it in "
                  f"{deployed - based:.0f} s, observed in {review.head.seconds:.0f} s", file=sys.stderr)
        except (TreeError, ObserveError) as error:
            review.error = f"{stage} does not deploy or cannot be observed: {error}"
            return review
    for side, observation in (("base", review.base), ("head", review.head)):
        write(observation, out / profile / side, f"Observed access matrix, {side} ({profile})")
    return review


def _head_name(tree: Path) -> str:
    described = subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    head = described.stdout.strip()[:80] or str(tree)
    return f"the working tree (`{head}`{', with uncommitted changes' if dirty else ''})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler_kit.access_review", description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git ref the change is reviewed against")
    parser.add_argument("--profile", choices=(*PROFILES, "both"), default="both")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the working tree under review (default: this one)")
    parser.add_argument("--out", type=Path, default=Path("build/review"))
    parser.add_argument("--base-cache", type=Path, help="keep the base deployment in this folder for the next review "
                        "of the same base commit (one review at a time per folder; the tests share one base)")
    parser.add_argument("--pointer", default="the full review is the file review.md in this run's artifact",
                        help="where the full review is, said in the comment when it has to be cut")
    args = parser.parse_args(argv)
    started = time.monotonic()
    tree = args.tree.resolve()
    profiles = list(PROFILES) if args.profile == "both" else [args.profile]
    try:
        with base_worktree(tree, args.base) as (base_dir, base_commit):
            cache = BaseCache(args.base_cache.resolve()) if args.base_cache else None
            reviews = [review_profile(p, base_dir, base_commit, tree, args.out, cache) for p in profiles]
    except TreeError as error:
        print(f"access review: {error}", file=sys.stderr)
        return EXIT_ERROR
    markdown = review_markdown(reviews, args.base, base_commit, _head_name(tree))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "review.md").write_text(markdown, encoding="utf-8")
    # Room for the line the workflow appends (a link to the run) within GitHub's limit.
    comment = fit_comment(markdown, args.pointer, COMMENT_LIMIT - 1024)
    (args.out / "review-comment.md").write_text(comment, encoding="utf-8")
    print(markdown)
    for review in reviews:
        if review.error:
            print(f"access review: {review.profile}: {review.error}", file=sys.stderr)
    print(f"access review: {time.monotonic() - started:.0f} s; wrote {args.out}/review.md", file=sys.stderr)
    if any(r.error for r in reviews):
        return EXIT_ERROR
    return EXIT_UNDECLARED if any(r.undeclared for r in reviews) else 0


if __name__ == "__main__":
    raise SystemExit(main())
