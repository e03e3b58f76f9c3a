"""The dynamic provider's process starts while the program reads its inputs, instead of after.

The engine starts the SDK's dynamic provider (a Python process that imports the SDK and gRPC: about 0.3 s) when the
program's first dynamic resource is registered, and the SDK registers only once the program's module has run (its
imports, jobs.yaml, the login and the adoption survey: about 0.3 s). `start_dynamic_provider_now` asks the engine,
from a daemon thread, for a function of the dynamic provider's package: the engine launches and configures that
package's default provider (the very one the kit's resources use) to answer, and the provider answers that it has no
functions. The answer is not used; only the start is. Measured in docs/deploy-speed.md (round 5).
SCHEDKIT_PROVIDER_WARMUP=0 leaves the start to the first registration.
"""

from __future__ import annotations

import os
import threading

WARMUP = "SCHEDKIT_PROVIDER_WARMUP"
# A token of the dynamic provider's package ("pulumi-python") that names no function: the provider refuses it.
WARMUP_TOKEN = "pulumi-python:dynamic:startProvider"


def _ask_for_the_provider() -> None:
    try:
        from google.protobuf import struct_pb2
        from pulumi.runtime.proto import resource_pb2
        from pulumi.runtime.settings import get_monitor

        monitor = get_monitor()
        if monitor is None:
            return
        monitor.Invoke(resource_pb2.ResourceInvokeRequest(tok=WARMUP_TOKEN, args=struct_pb2.Struct(),
                                                          acceptResources=True))
    except Exception:  # noqa: BLE001 -- the refusal is expected; anything else only loses the head start
        return


def start_dynamic_provider_now() -> threading.Thread | None:
    if os.environ.get(WARMUP) == "0":
        return None
    thread = threading.Thread(target=_ask_for_the_provider, name="schedkit-provider-warmup", daemon=True)
    thread.start()
    return thread
