"""Tracebacks pytest can print. CPython 3.11 gives no line number (`tb_lineno` None) to a frame interrupted at an
instruction that has none, which a signal can do: pytest-timeout's alarm, or Ctrl-C handled by the audit's stand-in
(tests/support/audit_stand_in.py). pytest's report then fails on `tb_lineno - 1` (an INTERNALERROR, or exit 1 instead
of 2 after Ctrl-C) and says nothing of the test. Those entries are dropped from the traceback before pytest reports
it; every other entry, and the exception itself, stay as they are (tests/conftest.py, tests/fast/test_tracebacks.py)."""

from __future__ import annotations

from types import TracebackType
from typing import Optional


def without_lineless_entries(tb: Optional[TracebackType]) -> Optional[TracebackType]:
    """The chain from `tb` without its entries that have no line number (relinked in place); its new head."""
    while tb is not None and tb.tb_lineno is None:
        tb = tb.tb_next
    head = tb
    while tb is not None:
        following = tb.tb_next
        while following is not None and following.tb_lineno is None:
            following = following.tb_next
        tb.tb_next = following
        tb = following
    return head


def make_printable(error: Optional[BaseException]) -> None:
    """Every traceback of `error` and of the exceptions it was raised from or during, made printable."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        printable = without_lineless_entries(error.__traceback__)
        if printable is not None:  # (an exception whose every entry has no line keeps them: there is nothing else)
            error.__traceback__ = printable
        error = error.__cause__ or error.__context__


def make_report_printable(excinfo) -> None:
    """`make_printable` for a pytest ExceptionInfo (a test's failure, or the run's KeyboardInterrupt)."""
    if excinfo is None:
        return
    make_printable(excinfo.value)
    head = excinfo.value.__traceback__
    if head is not excinfo.tb:  # its first entry had no line: the ExceptionInfo starts at the next one
        excinfo._excinfo = (excinfo.type, excinfo.value, head)
        excinfo._traceback = None
