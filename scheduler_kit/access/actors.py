"""The matrix's actors as token shapes: each actor is several tokens that must all behave alike."""

from __future__ import annotations

from typing import Callable, Optional

from scheduler_kit.tokens import AUDIENCE, LEAVE_OUT, TokenFactory

ADMIN_SUB, REGULAR_SUB = "matrix_admin", "matrix_regular"
# A users row whose id is what a lax admin check makes of a numeric `sub` (12345 -> '12345'), and one with an empty
# id for a token without `sub`: both admins, neither may ever match.
NUMERIC_ADMIN_ID = "12345"

# Tokens real PostgREST refuses before any SQL (tests/fast/test_gateway.py pins the error of each).
BAD_TOKENS: dict[str, Callable[[TokenFactory], str]] = {
    "expired": lambda t: t.expired(),
    "not yet valid": lambda t: t.not_yet_valid(),
    "issued in the future": lambda t: t.iat_in_future(),
    "wrong key": lambda t: t.wrong_key(),
    "unknown kid": lambda t: t.unknown_kid(),
    "alg none": lambda t: t.alg_none(),
    "HS256 with the RS256 public key": lambda t: t.hs256_with_public_key(),
    "payload tampered, signature kept": lambda t: t.tampered_payload(),
    "wrong audience": lambda t: t.wrong_audience(),
    "audience list without ours": lambda t: t.aud_array(containing=False),
    "service key expired": lambda t: t.service_expired(),
    "service key not yet valid": lambda t: t.service_not_yet_valid(),
    "service key, wrong audience": lambda t: t.service_wrong_audience(),
    "garbage": lambda t: "garbage.garbage.garbage",
}

# Each actor is a set of token shapes that must all behave the same. Tokens PostgREST lets through are here too:
# PostgREST checks exp, nbf, iat and aud only when present, takes any JSON `sub`, defaults a missing role to anon,
# and trusts any token its keys verify, whatever role it claims.
ACTOR_TOKENS: dict[str, dict[str, Callable[[TokenFactory], Optional[str]]]] = {
    "service": {
        "service key": lambda t: t.service(),
        "service key without exp": lambda t: t.service(exp=LEAVE_OUT),
        # An issuer-trust question: a user-key token that claims service_role IS the service to PostgREST.
        "user key claiming service_role": lambda t: t.forged_role("service_role"),
    },
    "admin": {
        "plain": lambda t: t.user(ADMIN_SUB),
        "without exp": lambda t: t.user(ADMIN_SUB, exp=LEAVE_OUT),
        "without kid": lambda t: t.sign_user(t.claims(sub=ADMIN_SUB, role="authenticated"), kid=None),
        "audience list with ours": lambda t: t.user(ADMIN_SUB, aud=["another-api", AUDIENCE]),
    },
    "regular": {"plain": lambda t: t.user(REGULAR_SUB)},
    "unknown_sub": {"plain": lambda t: t.user("matrix_deleted_user")},
    "odd_sub": {
        "missing": lambda t: t.user(None),
        "empty": lambda t: t.user(""),
        "numeric": lambda t: t.user(int(NUMERIC_ADMIN_ID)),
        "object": lambda t: t.user({"id": ADMIN_SUB}),
        "list": lambda t: t.user([ADMIN_SUB]),
    },
    "anon": {
        "no token": lambda t: None,
        "token without role": lambda t: t.user(ADMIN_SUB, role=LEAVE_OUT),
        "service key without role": lambda t: t.service(role=LEAVE_OUT),
    },
    "bad_token": {name: make for name, make in BAD_TOKENS.items()},
    "refused_role": {
        "role postgres": lambda t: t.forged_role("postgres"),
        "role pg_read_all_data": lambda t: t.forged_role("pg_read_all_data"),
        "role that does not exist": lambda t: t.unknown_role(),
        "role as a list": lambda t: t.role_list(),
        "role as an object": lambda t: t.role_object(),
    },
    "login_role": {"role none": lambda t: t.role_none()},
}
VARIANTS = {actor: sorted(shapes) for actor, shapes in ACTOR_TOKENS.items()}


def token_for(actor: str, tokens: TokenFactory, variant: str = "") -> Optional[str]:
    shapes = ACTOR_TOKENS[actor]
    return shapes[variant or sorted(shapes)[0]](tokens)


