"""A process that starts the engine from a background job no longer passes an ignored SIGINT on to pulumi's plugins
(scheduler_kit/pulumi_env.let_plugins_stop_when_asked; docs/deploy-speed.md, round 4)."""

import signal
import subprocess
import sys

from scheduler_kit.pulumi_env import ROOT

# Starts a child (as the Automation API starts `pulumi`) and prints whether SIGINT is ignored in it, from the kernel's
# own mask (/proc/PID/status, SigIgn: bit 1 is SIGINT).
CHILD_REPORT = """
import subprocess, sys
{setup}
mask = subprocess.run(["grep", "SigIgn", "/proc/self/status"], capture_output=True, text=True).stdout.split()[1]
print("ignored" if int(mask, 16) & (1 << (2 - 1)) else "default")
"""


def child_disposition(setup: str) -> str:
    def ignore_interrupts():  # as a shell without job control starts a background job
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    done = subprocess.run([sys.executable, "-c", CHILD_REPORT.format(setup=setup)], preexec_fn=ignore_interrupts,
                          capture_output=True, text=True, cwd=ROOT, check=True)
    return done.stdout.strip()


def test_without_the_kit_an_ignored_sigint_reaches_the_processes_started():
    assert child_disposition("") == "ignored"


def test_the_kits_engine_set_up_gives_the_processes_it_starts_the_default_sigint():
    setup = ("from scheduler_kit.pulumi_env import let_plugins_stop_when_asked\n"
             "let_plugins_stop_when_asked()")
    assert child_disposition(setup) == "default"


def test_ensure_pulumi_environment_does_it_even_when_the_environment_is_already_set():
    setup = ("import os\nos.environ.update(PULUMI_BACKEND_URL='file:///nowhere', PULUMI_PYTHON_CMD='python')\n"
             "from scheduler_kit.pulumi_env import ensure_pulumi_environment\nensure_pulumi_environment()")
    assert child_disposition(setup) == "default"
