"""Really signed tokens, for the tests and the access matrix command: an RSA key pair (the Clerk-style user issuer)
and an HS256 service secret, generated once per run and published together as one JWKS, the way PostgREST's
jwt-secret holds them. Also the tokens an attacker or a careless issuer would send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from scheduler_kit.gateway import GatewayConfig, HardeningPolicy

AUDIENCE = "scheduler-kit-tests"
SERVICE_KEY = "oct"  # how a HardeningPolicy names the service secret: it has no kid, so by its kty
LEAVE_OUT = object()  # a claim value meaning "no such claim"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenFactory:
    kid: str = field(default_factory=lambda: f"test-{secrets.token_hex(4)}")
    private_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    other_private_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    service_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    clock: Callable[[], float] = time.time

    @property
    def user_jwk(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return jwk

    @property
    def service_jwk(self) -> dict:
        # Like Supabase's legacy JWT secret: an oct key without kid; service tokens carry no kid either.
        return {"kty": "oct", "k": _b64(self.service_secret), "alg": "HS256"}

    @property
    def jwks(self) -> dict:
        """The one key set the gateway (and PostgREST's jwt-secret) verifies every token against."""
        return {"keys": [self.user_jwk, self.service_jwk]}

    def gateway_config(self, hardened: bool = False, **overrides) -> GatewayConfig:
        hardening = HardeningPolicy(roles_by_key={self.kid: frozenset({"authenticated"}),
                                                  SERVICE_KEY: frozenset({"service_role", "anon"})})
        return GatewayConfig(jwks=self.jwks, audience=AUDIENCE, hardening=hardening if hardened else None,
                             **overrides)

    # --- signing ------------------------------------------------------------------------------------------------
    def claims(self, lifetime: int = 300, not_before: Optional[int] = None, **claims) -> dict:
        """Standard claims (iat now, exp now + lifetime, our audience) with `claims` on top; LEAVE_OUT drops one."""
        now = int(self.clock())
        standard = {"iat": now, "exp": now + lifetime, "aud": AUDIENCE}
        if not_before is not None:
            standard["nbf"] = now + not_before
        return {k: v for k, v in {**standard, **claims}.items() if v is not LEAVE_OUT}

    def sign_user(self, claims: Any, kid: Any = LEAVE_OUT, key: Any = None) -> str:
        """Any payload signed RS256 by the user issuer (or `key`), with our kid unless told otherwise."""
        headers = {} if kid is None else {"kid": self.kid if kid is LEAVE_OUT else kid}
        return jwt.encode(claims, key or self.private_key, algorithm="RS256", headers=headers or None)

    def sign_service(self, claims: Any, headers: Optional[dict] = None) -> str:
        return jwt.encode(claims, self.service_secret, algorithm="HS256", headers=headers)

    def sign_raw(self, header: dict, payload: bytes, secret: Optional[bytes] = None) -> str:
        """A token whose payload bytes are exactly `payload` (not necessarily a JSON object), HS256-signed with the
        service secret (or `secret`)."""
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
        signature = hmac.new(secret or self.service_secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    # --- the actors ---------------------------------------------------------------------------------------------
    def user(self, sub: Any = "user_admin", **extra) -> str:
        """A Clerk-style user token (RS256, our kid, role authenticated). Pass sub=None to leave `sub` out."""
        return self.sign_user(self.claims(**{"sub": LEAVE_OUT if sub is None else sub, "role": "authenticated", **extra}))

    def service(self, role: str = "service_role", **extra) -> str:
        return self.sign_service(self.claims(**{"role": role, **extra}))

    def no_role(self, sub: str = "user_admin") -> str:
        """A user token without a role claim: PostgREST runs it as the anonymous role."""
        return self.sign_user(self.claims(sub=sub))

    def no_exp(self, sub: str = "user_admin") -> str:
        return self.sign_user(self.claims(sub=sub, role="authenticated", exp=LEAVE_OUT))

    def numeric_sub(self, sub: int = 12345) -> str:
        return self.user(sub)

    def object_sub(self, sub: Optional[dict] = None) -> str:
        return self.user(sub if sub is not None else {"id": "user_admin"})

    def no_kid(self, sub: str = "user_admin") -> str:
        """A user token without a kid header: PostgREST tries every key that fits RS256."""
        return self.sign_user(self.claims(sub=sub, role="authenticated"), kid=None)

    def forged_role(self, role: str) -> str:
        """A user token (validly signed by the user issuer) that claims another role, e.g. service_role."""
        return self.sign_user(self.claims(sub="user_admin", role=role))

    def role_list(self, roles: Optional[list] = None) -> str:
        return self.forged_role(roles if roles is not None else ["authenticated", "service_role"])  # type: ignore[arg-type]

    def role_object(self, role: Optional[dict] = None) -> str:
        return self.forged_role(role if role is not None else {"name": "service_role"})  # type: ignore[arg-type]

    def unknown_role(self) -> str:
        """A validly signed token naming a role that does not exist in the database."""
        return self.forged_role("no_such_role_schedkit")  # fixed: the observed matrix's JSON is stable

    def role_none(self) -> str:
        """role: "none": set_config('role', 'none') is RESET ROLE, so PostgREST runs it as the login role itself."""
        return self.forged_role("none")

    def aud_array(self, containing: bool = True) -> str:
        audiences = ["another-api", AUDIENCE] if containing else ["another-api", "yet-another-api"]
        return self.user("user_admin", aud=audiences)

    # --- broken tokens ------------------------------------------------------------------------------------------
    def expired(self) -> str:
        return self.sign_user(self.claims(lifetime=-3600, sub="user_admin", role="authenticated"))

    def not_yet_valid(self) -> str:
        return self.sign_user(self.claims(not_before=3600, lifetime=7200, sub="user_admin", role="authenticated"))

    def iat_in_future(self, seconds: int = 3600) -> str:
        return self.user("user_admin", iat=int(self.clock()) + seconds, exp=int(self.clock()) + seconds + 300)

    def wrong_key(self) -> str:
        return self.sign_user(self.claims(sub="user_admin", role="authenticated"), key=self.other_private_key)

    def unknown_kid(self) -> str:
        return self.sign_user(self.claims(sub="user_admin", role="authenticated"), kid="not-" + self.kid)

    def wrong_audience(self) -> str:
        return self.user("user_admin", aud="someone-else")

    def tampered_payload(self, sub: str = "user_regular", **changes) -> str:
        """A genuine user token for `sub` whose payload was then rewritten (by default to the admin subject and
        service_role), keeping the original signature."""
        header, _, signature = self.user(sub).split(".")
        forged = self.claims(sub="user_admin", role="service_role") if not changes else self.claims(sub=sub, **changes)
        return f"{header}.{_b64(json.dumps(forged).encode())}.{signature}"

    def service_expired(self) -> str:
        return self.sign_service(self.claims(lifetime=-3600, role="service_role"))

    def service_not_yet_valid(self) -> str:
        return self.sign_service(self.claims(not_before=3600, lifetime=7200, role="service_role"))

    def service_wrong_audience(self) -> str:
        return self.service(aud="someone-else")

    def alg_none(self, role: str = "service_role") -> str:
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        body = _b64(json.dumps(self.claims(sub="user_admin", role=role)).encode())
        return f"{header}.{body}."

    def hs256_with_public_key(self, with_kid: bool = True) -> str:
        """The classic key-confusion attack: HS256 keyed with the issuer's public key (as PEM)."""
        public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = {"alg": "HS256", "typ": "JWT", **({"kid": self.kid} if with_kid else {})}
        payload = json.dumps(self.claims(sub="user_admin", role="service_role")).encode()
        return self.sign_raw(header, payload, secret=public_pem)
