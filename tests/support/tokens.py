"""Really signed tokens for the tests: an RSA key pair (the Clerk-style issuer, published as a JWKS) and an HS256
service secret, generated once per test session. Also the broken tokens an attacker would try."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from scheduler_kit.gateway import GatewayConfig

AUDIENCE = "scheduler-kit-tests"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenFactory:
    kid: str = field(default_factory=lambda: f"test-{secrets.token_hex(4)}")
    private_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    other_private_key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    service_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @property
    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return {"keys": [jwk]}

    def gateway_config(self) -> GatewayConfig:
        return GatewayConfig(jwks=self.jwks, service_secret=self.service_secret, audience=AUDIENCE)

    def _claims(self, extra: dict, lifetime: int = 300, not_before: Optional[int] = None) -> dict:
        now = int(time.time())
        claims = {"iat": now, "exp": now + lifetime, "aud": AUDIENCE}
        if not_before is not None:
            claims["nbf"] = now + not_before
        claims.update(extra)
        return {k: v for k, v in claims.items() if v is not None}

    def user(self, sub: Any = "user_admin", **extra) -> str:
        """A Clerk-style user token (RS256, our kid). Pass sub=None to leave `sub` out."""
        claims = self._claims({"sub": sub, "role": "authenticated", **extra})
        if sub is None:
            claims.pop("sub", None)
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def service(self, role: str = "service_role", **extra) -> str:
        return jwt.encode(self._claims({"role": role, **extra}), self.service_secret, algorithm="HS256")

    # --- broken tokens ------------------------------------------------------------------------------------------
    def expired(self) -> str:
        return jwt.encode(self._claims({"sub": "user_admin", "role": "authenticated"}, lifetime=-3600),
                          self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def not_yet_valid(self) -> str:
        return jwt.encode(self._claims({"sub": "user_admin", "role": "authenticated"}, not_before=3600, lifetime=7200),
                          self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def wrong_key(self) -> str:
        return jwt.encode(self._claims({"sub": "user_admin", "role": "authenticated"}),
                          self.other_private_key, algorithm="RS256", headers={"kid": self.kid})

    def unknown_kid(self) -> str:
        return jwt.encode(self._claims({"sub": "user_admin", "role": "authenticated"}),
                          self.private_key, algorithm="RS256", headers={"kid": "not-" + self.kid})

    def alg_none(self, role: str = "service_role") -> str:
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        body = _b64(json.dumps(self._claims({"sub": "user_admin", "role": role})).encode())
        return f"{header}.{body}."

    def hs256_with_public_key(self) -> str:
        """The classic key-confusion attack: HS256 keyed with the issuer's public key."""
        public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        import hmac, hashlib

        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.kid}).encode())
        body = _b64(json.dumps(self._claims({"sub": "user_admin", "role": "service_role"})).encode())
        signature = _b64(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{signature}"

    def forged_role(self, role: str) -> str:
        """A user token (validly signed by the user issuer) that claims a privileged role."""
        return jwt.encode(self._claims({"sub": "user_admin", "role": role}),
                          self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def wrong_audience(self) -> str:
        return jwt.encode(self._claims({"sub": "user_admin", "role": "authenticated", "aud": "someone-else"}),
                          self.private_key, algorithm="RS256", headers={"kid": self.kid})
