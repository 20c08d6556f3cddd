"""Extra key material the scenarios need, made in memory once per active key (never written to disk)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from cryptography import x509

from oidc_idp.keys.keygen import PrivateKey, generate_private_key, make_kid, published_jwk, self_signed_certificate
from oidc_idp.keys.keystore import KeyRecord, SigningKey


def _in_memory_key(record_alg: Any, now: datetime, *, rsa_bits: int | None = None, label: str) -> SigningKey:
    private_key: PrivateKey = generate_private_key(record_alg, rsa_bits=rsa_bits) if rsa_bits else generate_private_key(record_alg)
    kid = f"{label}-{make_kid(record_alg, private_key.public_key())}"
    cert = self_signed_certificate(private_key, common_name=f"test IdP {label} key", not_before=now - timedelta(days=1), validity_days=365)
    record = KeyRecord(kid, record_alg, now, "published")
    return SigningKey(record, private_key, cert, published_jwk(kid, record_alg, cert))


class Material:
    """Keys and certificates for misconfiguration scenarios, derived from the active key."""

    def __init__(self, active: SigningKey, now: datetime) -> None:
        self.active = active
        self.now = now.astimezone(UTC)

    @cached_property
    def other(self) -> SigningKey:
        """Another key of the same algorithm: the previous key of a rotation, or a stranger's certificate."""
        return _in_memory_key(self.active.alg, self.now, label="other")

    @cached_property
    def retired(self) -> SigningKey:
        """A key that signs tokens but is no longer published: a rotation done badly."""
        return _in_memory_key(self.active.alg, self.now, label="retired")

    @cached_property
    def weak_rsa(self) -> SigningKey:
        return _in_memory_key("RS256", self.now, rsa_bits=1024, label="weak")

    def active_with_certificate(self, *, not_before: datetime, validity_days: int) -> dict[str, Any]:
        """The active key's JWK with a certificate of a chosen validity window (same key, new cert)."""
        cert: x509.Certificate = self_signed_certificate(
            self.active.private_key,
            common_name=f"test IdP signing key {self.active.kid}",
            not_before=not_before,
            validity_days=validity_days,
        )
        return published_jwk(self.active.kid, self.active.alg, cert)
