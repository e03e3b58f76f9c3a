"""A bearer token -> a database session, exactly the way PostgREST (13.0 and later) does it.

The facts come from PostgREST's source (src/library/PostgREST/Auth/Jwt.hs `parseToken`, `decodeClaims`,
`checkForErrors`, `parseClaims`; Auth/JwtCache.hs `lookupJwtCache`; Query/PreQuery.hs `txVarQuery`; Error.hs;
Config.hs `parseSecret`, `audMatchesCfg`) and the jose-jwt library it verifies with (Jose/Jwt.hs `decode`,
Jose/Jwk.hs `canDecodeJws`):

- No token: no claims at all, and the anonymous role (`db-anon-role`, here `anon_role`; None disables anonymous
  access: PGRST302).
- The key set (`jwt-secret` as a JWKS) may hold RSA, EC, OKP and oct keys together. A token with a `kid` is tried
  against the keys with that `kid` only; a token without one against every key whose type fits its `alg` (a key's
  own `alg`, when it has one, must match; `use: enc` keys never verify). The first key that verifies wins.
- Claims: `exp`, `nbf`, `iat`, `aud` are each checked only when present (and not null), in that order, the first
  failure reported, with a fixed 30 s clock skew. A time claim must be a JSON number; one that is not an integer
  (or does not fit 64 bits) counts as 0, so a fractional `exp` has expired. `aud` must be a string or an array of
  strings; an empty array passes. Nothing else is checked: any `sub`, no `exp`, no `role`.
- The role is the value at the role claim path (`jwt-role-claim-key`, default `$.role`), the anonymous role when
  nothing is there. A value that is not a string becomes its JSON text (`["a","b"]`), which the database then
  refuses as a role that does not exist (SQLSTATE 22023; PostgREST answers HTTP 401). `role: "none"` is
  PostgreSQL's RESET ROLE: the request runs as the login role itself.
- There is no per-key role allow-list: a validly signed token that says `role: service_role` runs as service_role.
- The resolved role is written into the claims (`role`) before they become `request.jwt.claims`, and the session
  switches with `set_config('role', <role>, true)`: the login role must be allowed to, or PostgreSQL refuses
  (42501, which psycopg raises as InsufficientPrivilege; PostgREST answers 403, or 401 for the anonymous role).

Every refusal carries PostgREST's error code, message, details and HTTP status (TokenRejected).

`HardeningPolicy` is an explicit, opt-in set of checks PostgREST does not make (a role allow-list per signing key,
a required `exp`, a required `aud` when an audience is configured, a string `sub`). It is off by default, because
the gateway stands in for PostgREST in the policy tests, which must prove what the database itself enforces.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import math
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping, Optional

import psycopg
from jwt import algorithms as jwa

from .db import literal, render, sql_text

# PostgREST's allowedSkewSeconds (Auth/Jwt.hs); not configurable there either.
CLOCK_SKEW_SECONDS = 30
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# The code a HardeningPolicy refusal carries; PostgREST has no such refusal.
HARDENING_CODE = "HARDENED"


class TokenRejected(Exception):
    """The token was refused before any SQL ran, with the error PostgREST answers (code, message, details, status)."""

    def __init__(self, code: str, message: str, http_status: int = 401, details: Optional[str] = None):
        self.code, self.message, self.http_status, self.details = code, message, http_status, details
        text = f"{code} {message}" + (f" ({details})" if details else "") + f" [HTTP {http_status}]"
        super().__init__(text)


# PostgREST's JWT errors (Error.hs, `instance ErrorBody JwtError`).
def _secret_missing() -> TokenRejected:
    return TokenRejected("PGRST300", "Server lacks JWT secret", 500)


def _decode_error(message: str, details: Optional[str] = None) -> TokenRejected:
    return TokenRejected("PGRST301", message, 401, details)


def _token_required() -> TokenRejected:
    return TokenRejected("PGRST302", "Anonymous access is disabled", 401)


def _claims_error(message: str) -> TokenRejected:
    return TokenRejected("PGRST303", message, 401)


def _hardening_error(message: str) -> TokenRejected:
    return TokenRejected(HARDENING_CODE, message, 401)


@dataclass(frozen=True)
class HardeningPolicy:
    """Checks beyond PostgREST's, off unless asked for.

    roles_by_key: the roles each signing key may grant, by the key's `kid` (or its `kty`, e.g. "oct", when it has
    none); the resolved role (after the anonymous default) must be listed for the key that verified the token, so a
    user-issuer token cannot become service_role. require_exp: `exp` must be present. require_aud: `aud` must be
    present when the gateway has an audience. string_sub: `sub`, when present, must be a string.
    """

    roles_by_key: Mapping[str, frozenset[str]] = field(default_factory=dict)
    require_exp: bool = True
    require_aud: bool = True
    string_sub: bool = True


@dataclass(frozen=True)
class GatewayConfig:
    jwks: Optional[Mapping[str, Any]]  # PostgREST's jwt-secret as a JWKS {"keys": [...]}; None: no secret
    audience: Optional[str] = None  # jwt-aud
    role_claim_key: str = "$.role"  # jwt-role-claim-key: `$.a.b`, `$['a']`, `$.a[0]`, or the older `.a.b`
    anon_role: Optional[str] = "anon"  # db-anon-role; None: anonymous access disabled
    hardening: Optional[HardeningPolicy] = None  # extra checks PostgREST does not make; None: PostgREST exactly


@dataclass(frozen=True)
class Session:
    role: str
    claims: Mapping[str, Any]  # what request.jwt.claims holds: the token's claims plus the resolved `role`
    key: Optional[str] = None  # the verifying key's kid (or kty); None without a token


# --- keys ----------------------------------------------------------------------------------------------------------

_ALG_KTY = {**{f"HS{n}": "oct" for n in (256, 384, 512)}, **{f"RS{n}": "RSA" for n in (256, 384, 512)},
            **{f"ES{n}": "EC" for n in (256, 384, 512)}, "EdDSA": "OKP"}
_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
_PYJWT_HASHES = {"256": jwa.RSAAlgorithm.SHA256, "384": jwa.RSAAlgorithm.SHA384, "512": jwa.RSAAlgorithm.SHA512}


@dataclass(frozen=True)
class _Key:
    kty: str
    kid: Optional[str]
    use: Optional[str]
    alg: Optional[str]
    material: Any = field(repr=False)

    @property
    def name(self) -> str:
        return self.kid if self.kid is not None else self.kty

    def can_verify(self, alg: str, kid: Optional[str]) -> bool:
        """jose-jwt's canDecodeJws: not an encryption key, the token's kid (if any) is ours, our alg (if any) is
        the token's, and our type fits the algorithm."""
        return (self.use != "enc" and (kid is None or kid == self.kid) and (self.alg is None or self.alg == alg)
                and _ALG_KTY.get(alg) == self.kty and self.material is not None)

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> bool:
        try:
            if self.kty == "oct":
                expected = hmac.new(self.material, signing_input, _HASHES[alg[2:]]).digest()
                return hmac.compare_digest(expected, signature)
            if self.kty == "RSA":
                return jwa.RSAAlgorithm(_PYJWT_HASHES[alg[2:]]).verify(signing_input, self.material, signature)
            if self.kty == "EC":
                return jwa.ECAlgorithm(_PYJWT_HASHES[alg[2:]]).verify(signing_input, self.material, signature)
            return jwa.OKPAlgorithm().verify(signing_input, self.material, signature)
        except Exception:  # a malformed signature for this key type: it does not verify
            return False


def _load_key(index: int, jwk: Any) -> _Key:
    where = f"jwks key {index}"
    if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kty"), str):
        raise ValueError(f"{where}: not a JWK (an object with a string `kty`); fix: give each key its kty")
    kty, kid = jwk["kty"], jwk.get("kid")
    where += f" (kid {kid!r})" if kid is not None else ""
    try:
        if kty == "oct":
            material = _b64url_decode(jwk["k"])
        elif kty in ("RSA", "EC", "OKP"):
            loader = {"RSA": jwa.RSAAlgorithm, "EC": jwa.ECAlgorithm, "OKP": jwa.OKPAlgorithm}[kty]
            material = loader.from_jwk(dict(jwk))
            material = material.public_key() if hasattr(material, "private_bytes") else material
        else:
            material = None  # jose-jwt keeps an unsupported key, which verifies nothing
    except Exception as exc:
        raise ValueError(f"{where}: invalid {kty} key: {exc}; fix: publish the key as a valid JWK") from None
    return _Key(kty=kty, kid=kid, use=jwk.get("use"), alg=jwk.get("alg"), material=material)


# --- token parsing (jose-jwt's parser: any failure is BadCrypto) ---------------------------------------------------

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class _BadCrypto(Exception):
    pass


def _b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise _BadCrypto("invalid base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _BadCrypto("invalid base64url") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json(data: bytes) -> Any:
    """Strict JSON as aeson reads it: UTF-8 only, no NaN/Infinity; non-integers kept exact as Decimal."""
    return json.loads(data.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)


def _optional_text(header: Mapping[str, Any], name: str) -> None:
    if header.get(name) is not None and not isinstance(header[name], str):
        raise _BadCrypto(f"header {name} is not text")


def _parse_jws(token: str) -> tuple[str, Optional[str], bytes, bytes, bytes]:
    """(alg, kid, signing input, payload, signature) of a three-part token; raises _BadCrypto, or TokenRejected for
    an unsecured (`alg: none`) token."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    try:
        header = _json(_b64url_decode(header_b64))
    except (ValueError, UnicodeDecodeError):
        raise _BadCrypto("header is not JSON") from None
    if not isinstance(header, dict):
        raise _BadCrypto("header is not an object")
    if header.get("alg") == "none":
        _b64url_decode(payload_b64)
        raise _decode_error("Wrong or unsupported encoding algorithm",
                            "JWT is unsecured but expected 'alg' was not 'none'")
    if "enc" in header:  # a JWE header: three parts cannot hold one
        raise _BadCrypto("JWE in three parts")
    alg = header.get("alg")
    if alg not in _ALG_KTY:
        raise _BadCrypto("unsupported alg")
    for name in ("typ", "cty", "kid"):
        _optional_text(header, name)
    payload, signature = _b64url_decode(payload_b64), _b64url_decode(signature_b64)
    return alg, header.get("kid"), f"{header_b64}.{payload_b64}".encode("ascii"), payload, signature


# --- claims ---------------------------------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _seconds(value: Any) -> int:
    """Scientific's toBoundedInteger as PostgREST uses it: an integral value in int64, otherwise 0."""
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            return 0
        value = int(value)
    return value if INT64_MIN <= value <= INT64_MAX else 0


def _plain(value: Any) -> Any:
    """Claims as a caller sees them: exact decimals back to floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _json_text(value: Any) -> str:
    """A non-string role as PostgREST encodes it (aeson: compact, keys sorted, UTF-8 unescaped)."""
    return json.dumps(_plain(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


_PATH_STEP = re.compile(r"""\.(?P<name>[A-Za-z_][\w-]*)|\."(?P<quoted>[^"]*)"|\[(?P<index>-?\d+)\]"""
                        r"""|\['(?P<single>[^']*)'\]|\["(?P<double>[^"]*)"\]""")


def parse_role_claim_key(path: str) -> tuple[bool, list]:
    """(RFC 9535 syntax?, steps) of a role claim path: `$.role`, `$.app.roles[0]`, `$['a-b']` or the older `.role`,
    `."a-b"`. Filters are not supported."""
    rfc9535 = path.startswith("$")
    text, steps, position = path[1:] if rfc9535 else path, [], 0
    while position < len(text):
        match = _PATH_STEP.match(text, position)
        if not match:
            raise ValueError(f"jwt-role-claim-key {path!r}: cannot read {text[position:]!r}; "
                             "fix: use `$.key`, `$.key[0]` or `$['key']` steps (filters are not supported)")
        index = match.group("index")
        steps.append(int(index) if index is not None else next(g for g in match.group("name", "quoted", "single",
                                                                                       "double") if g is not None))
        position = match.end()
    if not steps and not rfc9535:
        raise ValueError(f"jwt-role-claim-key {path!r} is empty; fix: `$.role`")
    return rfc9535, steps


_MISSING = object()


def _at_path(claims: Any, rfc9535: bool, steps: list) -> Any:
    value = claims
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list):
                return _MISSING
            # RFC 9535 counts a negative index from the end; the older syntax has none.
            index = step + len(value) if (rfc9535 and step < 0) else step
            if not 0 <= index < len(value):
                return _MISSING
            value = value[index]
        else:
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
    return value


# --- the gateway ----------------------------------------------------------------------------------------------------

class Gateway:
    def __init__(self, config: GatewayConfig, clock: Callable[[], float] = time.time):
        self.config = config
        self._clock = clock
        self._keys: Optional[list[_Key]] = None
        if config.jwks is not None:
            keys = config.jwks.get("keys") if isinstance(config.jwks, Mapping) else None
            if not isinstance(keys, list):
                raise ValueError("jwks: expected {\"keys\": [JWK, ...]}; fix: pass the key set as PostgREST's "
                                 "jwt-secret JWKS")
            self._keys = [_load_key(index, jwk) for index, jwk in enumerate(keys)]
        self._role_path = parse_role_claim_key(config.role_claim_key)

    # PostgREST's parseToken + decodeClaims
    def _verified_claims(self, token: str) -> tuple[dict, _Key]:
        if self._keys is None:
            raise _secret_missing()
        if token == "":
            raise _decode_error("Empty JWT is sent in Authorization header")
        parts = len(token.split("."))
        if parts != 3:
            raise _decode_error(f"Expected 3 parts in JWT; got {parts}")
        try:
            alg, kid, signing_input, payload, signature = _parse_jws(token)
        except _BadCrypto:
            raise _decode_error("JWT cryptographic operation failed") from None
        candidates = [key for key in self._keys if key.can_verify(alg, kid)]
        if not candidates:
            raise _decode_error("No suitable key or wrong key type", "No suitable key was found to decode the JWT")
        key = next((key for key in candidates if key.verify(alg, signing_input, signature)), None)
        if key is None:
            raise _decode_error("No suitable key or wrong key type", "None of the keys was able to decode the JWT")
        try:
            claims = _json(payload)
        except (ValueError, UnicodeDecodeError):
            claims = None
        if not isinstance(claims, dict):
            raise _claims_error("Parsing claims failed")
        return claims, key

    # PostgREST's checkForErrors: each claim only when present, the first failure wins
    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        now = math.floor(self._clock())
        checks = (
            ("exp", "The JWT 'exp' claim must be a number", lambda v: now - CLOCK_SKEW_SECONDS > _seconds(v),
             "JWT expired"),
            ("nbf", "The JWT 'nbf' claim must be a number", lambda v: now + CLOCK_SKEW_SECONDS < _seconds(v),
             "JWT not yet valid"),
            ("iat", "The JWT 'iat' claim must be a number", lambda v: now + CLOCK_SKEW_SECONDS < _seconds(v),
             "JWT issued at future"),
        )
        for name, not_a_number, failed, message in checks:
            value = claims.get(name)
            if value is None:
                continue
            if not _is_number(value):
                raise _claims_error(not_a_number)
            if failed(value):
                raise _claims_error(message)
        aud = claims.get("aud")
        if aud is None:
            return
        if isinstance(aud, str):
            audiences = [aud]
        elif isinstance(aud, list) and all(isinstance(a, str) for a in aud):
            audiences = aud
        else:
            raise _claims_error("The JWT 'aud' claim must be a string or an array of strings")
        if audiences and self.config.audience is not None and self.config.audience not in audiences:
            raise _claims_error("JWT not in audience")

    def _harden(self, policy: HardeningPolicy, claims: Mapping[str, Any], role: str, key: _Key) -> None:
        if policy.require_exp and claims.get("exp") is None:
            raise _hardening_error("the token has no exp")
        if policy.require_aud and self.config.audience is not None and claims.get("aud") is None:
            raise _hardening_error("the token has no aud")
        if policy.string_sub and "sub" in claims and not isinstance(claims["sub"], str):
            raise _hardening_error("the token's sub is not a string")
        if role not in policy.roles_by_key.get(key.name, frozenset()):
            raise _hardening_error(f"role {role!r} is not allowed for signing key {key.name!r}")

    def authenticate(self, token: Optional[str]) -> Session:
        """The session PostgREST would open for this bearer token (None: no Authorization header)."""
        key: Optional[_Key] = None
        claims: dict = {}
        if token is not None:
            claims, key = self._verified_claims(token)
            self._check_claims(claims)
        found = _at_path(claims, *self._role_path)
        if found is _MISSING:
            if self.config.anon_role is None:
                raise _token_required()
            role = self.config.anon_role
        else:
            role = found if isinstance(found, str) else _json_text(found)
        if key is not None and self.config.hardening is not None:
            self._harden(self.config.hardening, claims, role, key)
        return Session(role=role, claims={**_plain(claims), "role": role}, key=key.name if key else None)

    def assume(self, cur: psycopg.Cursor, token: Optional[str]) -> Session:
        """Inside an open transaction: from now until it ends, act as the token (verified first, before any SQL).

        The role switch is PostgreSQL's to allow: a role the login role may not become raises InsufficientPrivilege
        (42501), a role that does not exist InvalidParameterValue (22023)."""
        session = self.authenticate(token)
        cur.execute(render(sql_text("gateway/assume.sql"), role=literal(session.role),
                           claims=literal(json.dumps(session.claims, separators=(",", ":")))))
        return session

    @contextlib.contextmanager
    def transaction(self, conn: psycopg.Connection, token: Optional[str], rollback: bool = False) -> Iterator[psycopg.Cursor]:
        """A transaction acting as the token's role with its claims; rolled back instead of committed on request."""
        self.authenticate(token)  # a rejected token opens no transaction
        with conn.transaction(force_rollback=rollback):
            with conn.cursor() as cur:
                self.assume(cur, token)
                yield cur

    def http_status(self, sqlstate: str, message: str, session: Session) -> int:
        """The HTTP status PostgREST answers for a database error raised while acting as `session`."""
        return postgrest_http_status(sqlstate, message, authenticated=session.role != self.config.anon_role)


# PostgREST's mapSQLtoHTTP (Error.hs): exact codes first, then two-character classes; anything else is 400.
_STATUS_BY_CODE = {"23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503, "P0001": 400,
                   "42P01": 404, "42P17": 500}
_STATUS_BY_CLASS = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500,
                    "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500,
                    "F0": 500, "HV": 500, "P0": 500, "XX": 500}


def postgrest_http_status(sqlstate: str, message: str, authenticated: bool) -> int:
    """`authenticated`: the request's role is not the anonymous role. Not covered: RAISE SQLSTATE 'PGRST' with a
    JSON status of its own."""
    if sqlstate == "42501":
        return 403 if authenticated else 401
    if sqlstate == "22023":  # a role claim naming a role that does not exist
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if sqlstate == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "42883":
        return 406 if message.startswith("function xmlagg(") else 404
    if sqlstate.startswith("PT"):  # RAISE SQLSTATE 'PT403': the status is in the code
        return int(sqlstate[2:]) if sqlstate[2:].isdigit() else 500
    if sqlstate in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[sqlstate]
    return _STATUS_BY_CLASS.get(sqlstate[:2], 400)
