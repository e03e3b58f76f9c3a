"""tests/support/tracebacks.py: a traceback with an entry CPython gives no line number (as a signal can leave it)
crashes pytest's report; without that entry it prints, and the other entries stay."""

from __future__ import annotations

import sys
import types

import pytest
from _pytest._code import ExceptionInfo

from tests.support.tracebacks import make_report_printable, without_lineless_entries


def interrupted_frame():
    """A finished frame, and an offset in it that has no line number (a try/finally's cleanup)."""
    def body():
        try:
            sys.getrecursionlimit()
        finally:
            sys.getrecursionlimit()
        return sys._getframe()
    frame = body()
    offsets = [start for start, _end, line in frame.f_code.co_lines() if line is None]
    assert offsets, "this Python gives every instruction a line: nothing to test"
    return frame, offsets[0]


def failure_with_a_lineless_entry(where: str) -> BaseException:
    frame, offset = interrupted_frame()
    try:
        raise TimeoutError("past its bound")
    except TimeoutError as error:
        lineless = types.TracebackType(None, frame, offset, -1)
        assert lineless.tb_lineno is None
        if where == "last":
            error.__traceback__.tb_next = lineless
        else:
            lineless.tb_next = error.__traceback__
            error = error.with_traceback(lineless)
        return error


@pytest.mark.parametrize("where", ["last", "first"])
def test_a_lineless_entry_crashes_the_report_and_is_dropped(where):
    error = failure_with_a_lineless_entry(where)
    with pytest.raises(TypeError, match="NoneType"):
        ExceptionInfo.from_exception(error).getrepr()

    error = failure_with_a_lineless_entry(where)
    info = ExceptionInfo.from_exception(error)
    make_report_printable(info)
    text = str(info.getrepr())
    assert "TimeoutError: past its bound" in text and "failure_with_a_lineless_entry" in text
    entries, tb = [], info.tb
    while tb is not None:
        entries.append(tb.tb_lineno)
        tb = tb.tb_next
    assert entries and None not in entries


def test_every_entry_with_a_line_is_kept():
    def inner():
        raise ValueError("deep")
    try:
        inner()
    except ValueError as error:
        before, tb = [], error.__traceback__
        while tb is not None:
            before.append((tb.tb_frame.f_code.co_name, tb.tb_lineno))
            tb = tb.tb_next
        head = without_lineless_entries(error.__traceback__)
    after = []
    while head is not None:
        after.append((head.tb_frame.f_code.co_name, head.tb_lineno))
        head = head.tb_next
    assert after == before and [name for name, _ in after] == ["test_every_entry_with_a_line_is_kept", "inner"]
