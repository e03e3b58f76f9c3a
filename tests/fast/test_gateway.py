"""The gateway's verification, without a database: which tokens become which role, and which are refused."""

import pytest

from scheduler_kit.gateway import TokenRejected


def test_no_token_is_anon(gateway):
    assert gateway.authenticate(None).role == "anon"


def test_a_user_token_is_authenticated_with_its_claims(gateway, tokens):
    session = gateway.authenticate(tokens.user("user_abc"))
    assert session.role == "authenticated" and session.claims["sub"] == "user_abc"


def test_the_service_key_is_service_role(gateway, tokens):
    assert gateway.authenticate(tokens.service()).role == "service_role"


REJECTED = {
    "expired": lambda t: t.expired(),
    "not yet valid": lambda t: t.not_yet_valid(),
    "wrong key": lambda t: t.wrong_key(),
    "unknown kid": lambda t: t.unknown_kid(),
    "alg none": lambda t: t.alg_none(),
    "HS256 keyed with the RS256 public key": lambda t: t.hs256_with_public_key(),
    "user token claiming service_role": lambda t: t.forged_role("service_role"),
    "user token claiming postgres": lambda t: t.forged_role("postgres"),
    "service key claiming postgres": lambda t: t.service(role="postgres"),
    "wrong audience": lambda t: t.wrong_audience(),
    "numeric sub": lambda t: t.user(12345),
    "garbage": lambda t: "not.a.jwt",
    "empty string": lambda t: "",
}


@pytest.mark.parametrize("kind", list(REJECTED))
def test_bad_tokens_are_refused_before_any_sql(kind, gateway, tokens):
    with pytest.raises(TokenRejected):
        gateway.authenticate(REJECTED[kind](tokens))
