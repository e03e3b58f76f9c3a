"""What the Python SDK sends the engine for every resource that the kit does not use, left out unless asked for.

- Debug lines: for every resource it registers, the SDK sends the engine three to five debug lines ("registering
  resource: ...", "resource registration prepared: ...", "... successful: ..."), each a blocking gRPC call made
  from the program's event loop: about 550 calls for the model, more than the registrations themselves, for lines the
  CLI shows only with --debug or -v.
- Stack traces: for every resource the SDK walks the Python stack (traceback.extract_stack, which reads the source
  lines of every frame) and sends the frames as the resource's stack trace and source position, which the engine
  keeps in the state: 169 KB of the model's 886 KB checkpoint (20 %), which the file backend writes again before
  and after every step of an up. Nothing of the kit reads them; the CLI and the kit's messages name resources by
  URN.

The program drops both; SCHEDKIT_SDK_DEBUG=1 sends them again (debugging the SDK or the engine). The kit's own
messages (warnings, errors, info) are untouched.
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
    _drop_stack_traces()


def _drop_stack_traces() -> None:
    # resource.py calls the module's _get_stack_trace by name at each registration (register, read and
    # component registration alike); an empty trace also means no source position.
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    empty = source_pb2.StackTrace()
    resource._get_stack_trace = lambda: empty  # noqa: SLF001 - the SDK has no switch for it
