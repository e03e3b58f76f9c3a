"""A JWT gateway that turns a request's bearer token into a database session the way PostgREST does.

- No token: the `anon` role.
- A token is verified before any SQL runs: RS256 against a JWKS (Clerk-style user tokens, `kid` must match a key)
  or HS256 with the service secret; `exp` is required, `nbf` honoured, both with a small clock skew; `aud` checked
  when configured. `alg: none` and any other algorithm are refused.
- A verified token's `role` claim must be on the allow-list of the key that signed it: user keys may only act as
  `authenticated`, the service secret as `service_role` or `anon`. Nothing can become `postgres`.
- The session runs `SET LOCAL ROLE <role>` and puts the claims in `request.jwt.claims` for that transaction only.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

import jwt
import psycopg

from .db import literal, render, sql_text

USER_ROLES = frozenset({"authenticated"})
SERVICE_ROLES = frozenset({"service_role", "anon"})


class TokenRejected(Exception):
    """The token failed verification; no SQL was run for it."""


@dataclass(frozen=True)
class GatewayConfig:
    jwks: Mapping[str, Any]  # {"keys": [JWK, ...]} of the user-token issuer
    service_secret: bytes = field(repr=False)
    audience: Optional[str] = None
    leeway_seconds: int = 30


@dataclass(frozen=True)
class Session:
    role: str
    claims: Mapping[str, Any]


class Gateway:
    def __init__(self, config: GatewayConfig):
        self.config = config
        self._user_keys = {
            key["kid"]: jwt.PyJWK(key, algorithm="RS256").key for key in config.jwks.get("keys", []) if key.get("kid")
        }

    def authenticate(self, token: Optional[str]) -> Session:
        if token is None:
            return Session(role="anon", claims={"role": "anon"})
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"malformed token: {exc}") from None
        algorithm = header.get("alg")
        options = {"require": ["exp"], "verify_aud": self.config.audience is not None}
        common = dict(audience=self.config.audience, leeway=self.config.leeway_seconds, options=options)
        try:
            if algorithm == "RS256":
                key = self._user_keys.get(header.get("kid"))
                if key is None:
                    raise TokenRejected("unknown signing key (kid)")
                claims = jwt.decode(token, key, algorithms=["RS256"], **common)
                allowed, default_role = USER_ROLES, "authenticated"
            elif algorithm == "HS256":
                claims = jwt.decode(token, self.config.service_secret, algorithms=["HS256"], **common)
                allowed, default_role = SERVICE_ROLES, None
            else:
                raise TokenRejected(f"algorithm {algorithm!r} is not accepted")
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"token failed verification: {exc}") from None
        role = claims.get("role", default_role)
        if role not in allowed:
            raise TokenRejected(f"role {role!r} is not allowed for this signing key")
        return Session(role=role, claims=claims)

    def assume(self, cur: psycopg.Cursor, token: Optional[str]) -> Session:
        """Inside an open transaction: from now until it ends, act as the token (verified first, before any SQL)."""
        session = self.authenticate(token)
        cur.execute(
            render(sql_text("gateway/assume.sql"), claims=literal(json.dumps(session.claims)), role=session.role)
        )
        return session

    @contextlib.contextmanager
    def transaction(self, conn: psycopg.Connection, token: Optional[str], rollback: bool = False) -> Iterator[psycopg.Cursor]:
        """A transaction acting as the token's role with its claims; rolled back instead of committed on request."""
        self.authenticate(token)  # a rejected token opens no transaction
        with conn.transaction(force_rollback=rollback):
            with conn.cursor() as cur:
                self.assume(cur, token)
                yield cur
