"""The Python SDK's per-resource debug messages, left out of the program unless asked for.

For every resource it registers, the SDK sends the engine three to five debug lines ("registering resource: ...",
"resource registration prepared: ...", "... successful: ..."), each a blocking gRPC call made from the program's
event loop: about 550 calls for the model, more than the registrations themselves, for lines the CLI shows only
with --debug or -v. The program drops them; SCHEDKIT_SDK_DEBUG=1 sends them again (debugging the SDK or the engine).
The kit's own messages (warnings, errors, info) are untouched.
"""

from __future__ import annotations

import os

import pulumi


def _dropped(*_args, **_kwargs) -> None:
    return None


def drop_sdk_debug_messages() -> None:
    if os.environ.get("SCHEDKIT_SDK_DEBUG") == "1":
        return
    pulumi.log.debug = _dropped  # the SDK's runtime calls it as `log.debug`, looked up at each call
