"""The gateway's verification, without a database: for each class of token, what PostgREST does with it (the role
and the claims it runs with, or the error it answers), and what the opt-in hardening refuses on top.

The expected errors are PostgREST's own (code, message, details, HTTP status), read from its source (Auth/Jwt.hs,
Error.hs) and the jose-jwt library it verifies with."""

from __future__ import annotations

import json

import pytest

from scheduler_kit.gateway import (HARDENING_CODE, Gateway, GatewayConfig, Session, TokenRejected, parse_role_claim_key,
                                   postgrest_http_status)
from tests.support.tokens import AUDIENCE, LEAVE_OUT, TokenFactory

NOW = 1_900_000_000  # a fixed clock, so skew boundaries are exact
SKEW = 30  # PostgREST's allowedSkewSeconds (Auth/Jwt.hs), not the gateway's constant: the test must not follow it


@pytest.fixture(scope="module")
def tokens() -> TokenFactory:
    return TokenFactory(clock=lambda: NOW)


@pytest.fixture(scope="module")
def gateway(tokens) -> Gateway:
    return Gateway(tokens.gateway_config(), clock=lambda: NOW + 0.9)  # PostgREST floors the time


@pytest.fixture(scope="module")
def hardened(tokens) -> Gateway:
    return Gateway(tokens.gateway_config(hardened=True), clock=lambda: NOW)


def accepted(gateway: Gateway, token) -> Session:
    """The session for a token PostgREST lets through; a refusal is this test's assertion failing."""
    try:
        return gateway.authenticate(token)
    except TokenRejected as error:
        raise AssertionError(f"PostgREST lets this token through; the gateway refused it: {error}") from None


def refusal(gateway: Gateway, token) -> tuple:
    with pytest.raises(TokenRejected) as caught:
        gateway.authenticate(token)
    error = caught.value
    return error.code, error.message, error.details, error.http_status


# --- accepted, with which role and claims ---------------------------------------------------------------------

def test_no_token_is_the_anonymous_role_with_only_the_role_claim(gateway):
    session = accepted(gateway, None)
    assert (session.role, dict(session.claims)) == ("anon", {"role": "anon"})


def test_the_anonymous_role_is_configurable_and_can_be_switched_off(tokens):
    assert accepted(Gateway(tokens.gateway_config(anon_role="web_anon")), None).role == "web_anon"
    no_anon = Gateway(tokens.gateway_config(anon_role=None), clock=lambda: NOW)
    assert refusal(no_anon, None) == ("PGRST302", "Anonymous access is disabled", None, 401)
    assert refusal(no_anon, tokens.no_role()) == ("PGRST302", "Anonymous access is disabled", None, 401)
    assert accepted(no_anon, tokens.user("user_abc")).role == "authenticated"


def test_a_user_token_keeps_its_claims(gateway, tokens):
    session = accepted(gateway, tokens.user("user_abc", email="a@example.com"))
    assert session.role == "authenticated"
    assert dict(session.claims) == {"iat": NOW, "exp": NOW + 300, "aud": AUDIENCE, "sub": "user_abc",
                                    "role": "authenticated", "email": "a@example.com"}


def test_the_service_key_is_service_role(gateway, tokens):
    session = accepted(gateway, tokens.service())
    assert (session.role, session.claims["role"], session.key) == ("service_role", "service_role", "oct")


def test_a_token_without_role_is_the_anonymous_role_and_says_so_in_its_claims(gateway, tokens):
    session = accepted(gateway, tokens.no_role("user_abc"))
    assert (session.role, session.claims["role"], session.claims["sub"]) == ("anon", "anon", "user_abc")


def test_a_user_key_token_claiming_service_role_runs_as_service_role(gateway, tokens):
    """PostgREST has no per-key allow-list: whoever holds a trusted signing key chooses the role."""
    session = accepted(gateway, tokens.forged_role("service_role"))
    assert (session.role, session.claims["role"], session.key) == ("service_role", "service_role", tokens.kid)
    assert accepted(gateway, tokens.service(role="postgres")).role == "postgres"  # the database must refuse it


@pytest.mark.parametrize("make, sub", [
    (lambda t: t.numeric_sub(12345), 12345),
    (lambda t: t.object_sub({"id": "user_admin"}), {"id": "user_admin"}),
    (lambda t: t.user(None), None),
    (lambda t: t.user(""), ""),
    (lambda t: t.user(True), True),
])
def test_sub_of_any_json_type_passes_unchanged(gateway, tokens, make, sub):
    session = accepted(gateway, make(tokens))
    assert session.role == "authenticated" and session.claims.get("sub", None) == sub


def test_exp_nbf_iat_and_aud_are_each_optional(gateway, tokens):
    bare = tokens.sign_user({"role": "authenticated", "sub": "user_abc"})
    assert dict(accepted(gateway, bare).claims) == {"role": "authenticated", "sub": "user_abc"}
    assert accepted(gateway, tokens.no_exp()).role == "authenticated"
    assert accepted(gateway, tokens.user("u", aud=LEAVE_OUT)).role == "authenticated"
    # null counts as absent
    assert accepted(gateway, tokens.user("u", exp=None, nbf=None, iat=None, aud=None)).role == "authenticated"


def test_a_token_without_kid_is_tried_against_every_key_that_fits(gateway, tokens):
    assert accepted(gateway, tokens.no_kid("user_abc")).claims["sub"] == "user_abc"
    rotated = {"keys": [{**TokenFactory().user_jwk, "kid": "old"}, tokens.user_jwk, tokens.service_jwk]}
    assert accepted(Gateway(GatewayConfig(jwks=rotated), clock=lambda: NOW), tokens.no_kid()).key == tokens.kid


@pytest.mark.parametrize("role, expected", [
    (["authenticated", "service_role"], '["authenticated","service_role"]'),
    ({"name": "service_role", "a": 1}, '{"a":1,"name":"service_role"}'),
    (5, "5"),
    (None, "null"),
    (True, "true"),
])
def test_a_role_that_is_not_a_string_becomes_its_json_text(gateway, tokens, role, expected):
    """PostgREST sets the JSON text as the role; the database then refuses it as a role that does not exist (22023,
    HTTP 401), unless someone created a role by that name. Never a TypeError."""
    session = accepted(gateway, tokens.forged_role(role))
    assert (session.role, session.claims["role"]) == (expected, expected)


def test_role_list_and_object_helpers(gateway, tokens):
    assert accepted(gateway, tokens.role_list()).role == '["authenticated","service_role"]'
    assert accepted(gateway, tokens.role_object()).role == '{"name":"service_role"}'


def test_a_role_that_does_not_exist_passes_the_gateway_and_is_the_databases_to_refuse(gateway, tokens):
    session = accepted(gateway, tokens.unknown_role())
    assert session.role.startswith("no_such_role_")
    message = f'role "{session.role}" does not exist'
    assert gateway.http_status("22023", message, session) == 401


def test_role_none_passes_the_gateway_as_none(gateway, tokens):
    """PostgreSQL reads set_config('role', 'none') as RESET ROLE: the request runs as the login role (authenticator)
    itself, which is why that role must hold no privileges of its own."""
    session = accepted(gateway, tokens.role_none())
    assert (session.role, session.claims["role"]) == ("none", "none")


def test_the_role_claim_path_is_configurable(tokens):
    nested = Gateway(tokens.gateway_config(role_claim_key="$.app_metadata.roles[1]"), clock=lambda: NOW)
    session = accepted(nested, tokens.user("u", role=LEAVE_OUT, app_metadata={"roles": ["x", "authenticated"]}))
    assert (session.role, session.claims["role"]) == ("authenticated", "authenticated")
    assert accepted(nested, tokens.user("u", role="service_role")).role == "anon"  # top-level role is not read
    older = Gateway(tokens.gateway_config(role_claim_key='."https://example.com/role"'), clock=lambda: NOW)
    assert accepted(older, tokens.user("u", **{"https://example.com/role": "service_role"})).role == "service_role"


def test_role_claim_paths_are_parsed_or_refused_clearly():
    assert parse_role_claim_key("$.role") == (True, ["role"])
    assert parse_role_claim_key("$['a-b'][-1]") == (True, ["a-b", -1])
    assert parse_role_claim_key(".role") == (False, ["role"])
    with pytest.raises(ValueError, match="jwt-role-claim-key"):
        parse_role_claim_key('$.roles[?(@ == "admin")]')


# --- the time claims, with PostgREST's 30 s skew ------------------------------------------------------------------

@pytest.mark.parametrize("claim, edge, beyond, message", [
    ("exp", NOW - SKEW, NOW - SKEW - 1, "JWT expired"),
    ("nbf", NOW + SKEW, NOW + SKEW + 1, "JWT not yet valid"),
    ("iat", NOW + SKEW, NOW + SKEW + 1, "JWT issued at future"),
])
def test_time_claims_at_the_edge_of_the_skew(gateway, tokens, claim, edge, beyond, message):
    assert accepted(gateway, tokens.user("u", **{claim: edge})).role == "authenticated"
    assert refusal(gateway, tokens.user("u", **{claim: beyond})) == ("PGRST303", message, None, 401)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1900000000", True, [NOW], {"t": NOW}])
def test_a_time_claim_must_be_a_number(gateway, tokens, claim, value):
    assert refusal(gateway, tokens.user("u", **{claim: value})) == (
        "PGRST303", f"The JWT '{claim}' claim must be a number", None, 401)


def test_a_time_claim_that_is_not_an_integer_counts_as_zero(gateway, tokens):
    """Scientific's toBoundedInteger gives nothing for 1.5 or 2**63, and PostgREST reads that as 0."""
    assert refusal(gateway, tokens.user("u", exp=NOW + 300.5))[1] == "JWT expired"
    assert refusal(gateway, tokens.user("u", exp=2**63))[1] == "JWT expired"
    assert accepted(gateway, tokens.user("u", exp=float(NOW + 300))).role == "authenticated"  # 1.9e9 is integral
    assert accepted(gateway, tokens.user("u", nbf=NOW + 3600.5, iat=NOW + 3600.5)).role == "authenticated"


def test_iat_in_the_future_beyond_the_skew(gateway, tokens):
    assert refusal(gateway, tokens.iat_in_future()) == ("PGRST303", "JWT issued at future", None, 401)


def test_checks_run_in_order_exp_nbf_iat_aud(gateway, tokens):
    everything_wrong = tokens.user("u", exp=NOW - 3600, nbf=NOW + 3600, iat=NOW + 3600, aud="other")
    assert refusal(gateway, everything_wrong)[1] == "JWT expired"
    assert refusal(gateway, tokens.user("u", nbf=NOW + 3600, iat=NOW + 3600, aud="other"))[1] == "JWT not yet valid"
    assert refusal(gateway, tokens.user("u", iat=NOW + 3600, aud="other"))[1] == "JWT issued at future"


# --- aud ------------------------------------------------------------------------------------------------------------

def test_aud_as_an_array_passes_when_it_contains_the_audience(gateway, tokens):
    assert accepted(gateway, tokens.aud_array(containing=True)).claims["aud"] == ["another-api", AUDIENCE]
    assert refusal(gateway, tokens.aud_array(containing=False)) == ("PGRST303", "JWT not in audience", None, 401)
    assert accepted(gateway, tokens.user("u", aud=[])).role == "authenticated"  # an empty array passes


@pytest.mark.parametrize("aud", [5, {"a": AUDIENCE}, [AUDIENCE, 5], [None], True])
def test_aud_must_be_a_string_or_an_array_of_strings(gateway, tokens, aud):
    assert refusal(gateway, tokens.user("u", aud=aud)) == (
        "PGRST303", "The JWT 'aud' claim must be a string or an array of strings", None, 401)


def test_without_a_configured_audience_any_aud_string_passes_but_its_type_is_still_checked(tokens):
    open_gateway = Gateway(GatewayConfig(jwks=tokens.jwks), clock=lambda: NOW)
    assert accepted(open_gateway, tokens.wrong_audience()).role == "authenticated"
    assert accepted(open_gateway, tokens.aud_array(containing=False)).role == "authenticated"
    assert refusal(open_gateway, tokens.user("u", aud=7))[0] == "PGRST303"


# --- refused before any SQL, with PostgREST's error --------------------------------------------------------------

NO_SUITABLE_KEY = ("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT", 401)
NO_KEY_VERIFIES = ("PGRST301", "No suitable key or wrong key type", "None of the keys was able to decode the JWT", 401)
BAD_CRYPTO = ("PGRST301", "JWT cryptographic operation failed", None, 401)

REFUSED = {
    "expired": (lambda t: t.expired(), ("PGRST303", "JWT expired", None, 401)),
    "not yet valid": (lambda t: t.not_yet_valid(), ("PGRST303", "JWT not yet valid", None, 401)),
    "wrong audience": (lambda t: t.wrong_audience(), ("PGRST303", "JWT not in audience", None, 401)),
    "service key expired": (lambda t: t.service_expired(), ("PGRST303", "JWT expired", None, 401)),
    "service key not yet valid": (lambda t: t.service_not_yet_valid(), ("PGRST303", "JWT not yet valid", None, 401)),
    "service key wrong audience": (lambda t: t.service_wrong_audience(), ("PGRST303", "JWT not in audience", None, 401)),
    "wrong key": (lambda t: t.wrong_key(), NO_KEY_VERIFIES),
    "unknown kid": (lambda t: t.unknown_kid(), NO_SUITABLE_KEY),
    "tampered payload, original signature": (lambda t: t.tampered_payload(), NO_KEY_VERIFIES),
    "tampered expiry, original signature": (lambda t: t.tampered_payload("user_admin", role="authenticated",
                                                                          exp=NOW + 10**6), NO_KEY_VERIFIES),
    "HS256 keyed with the RS256 public key, with kid": (lambda t: t.hs256_with_public_key(), NO_SUITABLE_KEY),
    "HS256 keyed with the RS256 public key, no kid": (lambda t: t.hs256_with_public_key(False), NO_KEY_VERIFIES),
    "service token naming the user key's kid": (
        lambda t: t.sign_service(t.claims(role="service_role"), headers={"kid": t.kid}), NO_SUITABLE_KEY),
    "alg none": (lambda t: t.alg_none(), ("PGRST301", "Wrong or unsupported encoding algorithm",
                                          "JWT is unsecured but expected 'alg' was not 'none'", 401)),
    "alg none with a signature": (lambda t: t.alg_none() + "c2ln", ("PGRST301", "Wrong or unsupported encoding "
                                  "algorithm", "JWT is unsecured but expected 'alg' was not 'none'", 401)),
    "unknown alg": (lambda t: t.sign_raw({"alg": "HS999"}, b"{}"), BAD_CRYPTO),
    "kid that is not text": (lambda t: t.sign_raw({"alg": "HS256", "kid": 7}, b"{}"), BAD_CRYPTO),
    "payload that is not JSON": (lambda t: t.sign_raw({"alg": "HS256"}, b"not json"),
                                 ("PGRST303", "Parsing claims failed", None, 401)),
    "payload that is a JSON array": (lambda t: t.sign_raw({"alg": "HS256"}, b'["role", "service_role"]'),
                                     ("PGRST303", "Parsing claims failed", None, 401)),
    "garbage in three parts": (lambda t: "not.a.jwt", BAD_CRYPTO),
    "one part": (lambda t: "garbage", ("PGRST301", "Expected 3 parts in JWT; got 1", None, 401)),
    "five parts (a JWE)": (lambda t: "a.b.c.d.e", ("PGRST301", "Expected 3 parts in JWT; got 5", None, 401)),
    "empty string": (lambda t: "", ("PGRST301", "Empty JWT is sent in Authorization header", None, 401)),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_bad_tokens_are_refused_before_any_sql_with_postgrests_error(kind, gateway, tokens):
    make, expected = REFUSED[kind]
    assert refusal(gateway, make(tokens)) == expected


def test_without_a_secret_a_token_is_a_server_error_and_no_token_is_anonymous(tokens):
    keyless = Gateway(GatewayConfig(jwks=None), clock=lambda: NOW)
    assert refusal(keyless, tokens.user()) == ("PGRST300", "Server lacks JWT secret", None, 500)
    assert accepted(keyless, None).role == "anon"


def test_key_restrictions_in_the_jwks_are_honoured(tokens):
    """jose-jwt's canDecodeJws: a key's own alg must match the token's, and an encryption key never verifies."""
    for restriction in ({"alg": "RS512"}, {"use": "enc"}):
        jwks = {"keys": [{**tokens.user_jwk, **restriction}]}
        assert refusal(Gateway(GatewayConfig(jwks=jwks), clock=lambda: NOW), tokens.user()) == NO_SUITABLE_KEY


def test_a_broken_jwks_is_refused_when_the_gateway_is_built(tokens):
    with pytest.raises(ValueError, match=r"jwks key 1 \(kid 'x'\): invalid RSA key"):
        Gateway(GatewayConfig(jwks={"keys": [tokens.service_jwk, {"kty": "RSA", "kid": "x", "n": "??"}]}))
    with pytest.raises(ValueError, match="jwks"):
        Gateway(GatewayConfig(jwks={"not": "a key set"}))


# --- the opt-in hardening -------------------------------------------------------------------------------------------

def test_hardening_is_off_by_default(tokens):
    assert tokens.gateway_config().hardening is None


def test_hardening_accepts_the_ordinary_actors(hardened, tokens):
    assert accepted(hardened, None).role == "anon"
    assert accepted(hardened, tokens.user("user_abc")).role == "authenticated"
    assert accepted(hardened, tokens.no_kid()).role == "authenticated"
    assert accepted(hardened, tokens.service()).role == "service_role"
    assert accepted(hardened, tokens.service(role="anon")).role == "anon"


@pytest.mark.parametrize("make, reason", [
    (lambda t: t.forged_role("service_role"), "role 'service_role' is not allowed for signing key"),
    (lambda t: t.service(role="postgres"), "role 'postgres' is not allowed for signing key 'oct'"),
    (lambda t: t.unknown_role(), "is not allowed for signing key"),
    (lambda t: t.role_list(), "is not allowed for signing key"),
    (lambda t: t.role_object(), "is not allowed for signing key"),
    (lambda t: t.no_role(), "role 'anon' is not allowed for signing key"),
    (lambda t: t.no_exp(), "the token has no exp"),
    (lambda t: t.user("u", aud=LEAVE_OUT), "the token has no aud"),
    (lambda t: t.numeric_sub(), "the token's sub is not a string"),
    (lambda t: t.object_sub(), "the token's sub is not a string"),
])
def test_hardening_refuses_what_postgrest_lets_through(hardened, gateway, tokens, make, reason):
    token = make(tokens)
    accepted(gateway, token)  # PostgREST itself lets it through
    code, message, _, status = refusal(hardened, token)
    assert (code, status) == (HARDENING_CODE, 401) and reason in message


def test_hardening_still_makes_postgrests_checks_first(hardened, tokens):
    assert refusal(hardened, tokens.expired())[:2] == ("PGRST303", "JWT expired")


# --- the HTTP status PostgREST gives a database error ------------------------------------------------------------

@pytest.mark.parametrize("sqlstate, message, authenticated, status", [
    ("42501", "permission denied for table scheduled_jobs", True, 403),
    ("42501", "permission denied for table scheduled_jobs", False, 401),
    ("42501", 'permission denied to set role "postgres"', True, 403),
    ("22023", 'role "["a","b"]" does not exist', True, 401),
    ("22023", "invalid value for parameter", True, 400),
    ("23505", "duplicate key", True, 409),
    ("23514", "new row violates check constraint", True, 400),
    ("P0001", "raised", True, 400),
    ("PT418", "teapot", True, 418),
    ("42P01", "relation does not exist", True, 404),
    ("08006", "connection failure", True, 503),
])
def test_database_errors_get_postgrests_http_status(sqlstate, message, authenticated, status):
    assert postgrest_http_status(sqlstate, message, authenticated) == status


def test_the_claims_handed_to_the_database_are_json_with_the_role(gateway, tokens):
    session = accepted(gateway, tokens.user("u", exp=None, ratio=0.5))
    assert json.loads(json.dumps(session.claims)) == {"sub": "u", "role": "authenticated", "iat": NOW,
                                                      "aud": AUDIENCE, "exp": None, "ratio": 0.5}
