"""toolchain/env.sh, which people source in their terminal: it must not switch Pulumi's confirmations off."""

import os
import subprocess

from tests.support.toolchain import ROOT


def sourced_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_SKIP_CONFIRMATIONS"}
    output = subprocess.run(["bash", "-c", f'. "{ROOT}/toolchain/env.sh" && env -0'], env=env, check=True,
                            capture_output=True).stdout.decode()
    return dict(item.split("=", 1) for item in output.split("\0") if "=" in item)


def test_a_terminal_that_sources_env_sh_still_gets_asked_before_destroy():
    env = sourced_environment()
    assert "PULUMI_SKIP_CONFIRMATIONS" not in env
    assert env["PULUMI_BACKEND_URL"] and env["PULUMI_PYTHON_CMD"].endswith("/.venv/bin/python")


def test_the_make_targets_that_change_things_confirm_by_themselves():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("up", "refresh", "destroy"):
        recipe = makefile.split(f"\n{target}: ", 1)[1].split("\n\n", 1)[0]
        assert "--yes" in recipe and "--non-interactive" in recipe, target
