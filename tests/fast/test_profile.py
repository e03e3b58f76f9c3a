"""The hypothesis profile follows HYPOTHESIS_PROFILE, then CI only when CI really says true."""

import pytest

from tests.support.profile import hypothesis_profile


@pytest.mark.parametrize("environ, profile", [
    ({}, "default"),
    ({"CI": "true"}, "ci"),
    ({"CI": "TRUE"}, "ci"),
    ({"CI": "1"}, "ci"),
    ({"CI": "yes"}, "ci"),
    ({"CI": "false"}, "default"),
    ({"CI": "0"}, "default"),
    ({"CI": "no"}, "default"),
    ({"CI": ""}, "default"),
    ({"CI": "true", "HYPOTHESIS_PROFILE": "mutants"}, "mutants"),
    ({"CI": "false", "HYPOTHESIS_PROFILE": "debug"}, "debug"),
    ({"HYPOTHESIS_PROFILE": ""}, "default"),
])
def test_profile_selection(environ, profile):
    assert hypothesis_profile(environ) == profile
