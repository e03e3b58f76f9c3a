"""Moved to scheduler_kit/tokens.py (the access matrix command signs the same tokens); re-exported for the tests."""

from scheduler_kit.tokens import AUDIENCE, LEAVE_OUT, SERVICE_KEY, TokenFactory  # noqa: F401
