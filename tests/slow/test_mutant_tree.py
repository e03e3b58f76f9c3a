"""A `source` mutant's tree (tests/mutants/run.py) is a copy of the kit package with the checkout's other files linked
beside it: its tests must run against the checkout's own clusters. As root, toolchain/localdb.sh keeps a checkout's
cluster under /tmp, named after the checkout's path; it used to name the copy's path instead, so each source mutant
started a cluster of its own and left it running."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from scheduler_kit.pulumi_env import ROOT
from tests.mutants.run import Mutant, mutated_source_tree


def cluster_of(checkout: Path, profile: str) -> str:
    return subprocess.run([str(checkout / "toolchain" / "localdb.sh"), "--profile", profile, "url"], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_a_source_mutants_tree_names_the_checkouts_clusters(cluster, supabase_cluster):
    mutant = Mutant(name="tree", description="no change", source="scheduler_kit/db.py")
    with tempfile.TemporaryDirectory(prefix="schedkit-mutants-") as scratch:  # 0700, as the runner's
        tree = Path(scratch) / "kit"
        mutated_source_tree(mutant, tree)
        for profile in ("postgres", "supabase"):
            assert cluster_of(tree, profile) == cluster_of(ROOT, profile), profile
