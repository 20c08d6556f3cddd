"""The keys directory: signing keys that persist, rotate and retire, shared by every worker.

Layout: ``keys.json`` (the manifest: kid, alg, created, status), ``<kid>.key.pem``
(PKCS#8, mode 0600) and ``<kid>.cert.pem`` per key. Writers take an exclusive
``flock`` and replace the manifest atomically, so running servers (any number of
workers) pick a rotation up on their next request without a restart.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from oidc_idp.errors import KeyStoreError
from oidc_idp.keys.files import PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, check_not_shared, private_directory, read_key_file, write_new
from oidc_idp.keys.keygen import ALGORITHMS, Algorithm, PrivateKey, generate_private_key, make_kid, published_jwk, self_signed_certificate
from oidc_idp.keys.schedule import Schedule

Status = Literal["active", "published", "retired"]
MANIFEST = "keys.json"
CERT_BACKDATE = timedelta(minutes=5)  # tolerate verifiers whose clocks run a little behind


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    alg: Algorithm
    created: datetime
    status: Status

    def to_json(self) -> dict[str, str]:
        return {"kid": self.kid, "alg": self.alg, "created": self.created.isoformat(), "status": self.status}

    @classmethod
    def from_json(cls, raw: Any) -> KeyRecord:
        try:
            alg, status = raw["alg"], raw["status"]
            if alg not in ALGORITHMS or status not in get_args(Status):
                raise ValueError(f"unknown alg or status {alg!r}/{status!r}")
            return cls(str(raw["kid"]), alg, datetime.fromisoformat(raw["created"]), status)
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyStoreError(f"corrupt key manifest entry {raw!r}: {exc}", code="keystore_corrupt") from None


@dataclass(frozen=True)
class SigningKey:
    record: KeyRecord
    private_key: PrivateKey
    certificate: x509.Certificate
    jwk: dict[str, Any]

    @property
    def kid(self) -> str:
        return self.record.kid

    @property
    def alg(self) -> Algorithm:
        return self.record.alg


@dataclass(frozen=True)
class KeySet:
    keys: tuple[SigningKey, ...]

    def active(self, alg: Algorithm) -> SigningKey | None:
        return next((k for k in self.keys if k.alg == alg and k.record.status == "active"), None)

    def by_kid(self, kid: str) -> SigningKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    @property
    def published(self) -> tuple[SigningKey, ...]:
        return tuple(k for k in self.keys if k.record.status != "retired")

    @property
    def active_algorithms(self) -> tuple[Algorithm, ...]:
        return tuple(a for a in ALGORITHMS if self.active(a) is not None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(k.jwk) for k in self.published]}


class KeyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # A str, built once: load() stats it on every token request (a Path join costs more than the stat).
        self._manifest = os.fspath(directory / MANIFEST)
        self._cache: tuple[tuple[int, int, int], KeySet] | None = None

    @property
    def manifest_path(self) -> Path:
        return Path(self._manifest)

    # -- reading -----------------------------------------------------------
    def records(self) -> list[KeyRecord]:
        try:
            raw = json.loads(self.manifest_path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"cannot read {self.manifest_path}: {exc}", code="keystore_corrupt") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("keys"), list):
            raise KeyStoreError(f"{self.manifest_path} is not a key manifest", code="keystore_corrupt")
        return [KeyRecord.from_json(item) for item in raw["keys"]]

    def load(self) -> KeySet:
        """The current key set, re-read only when the manifest changed (one stat per call)."""
        try:
            st = os.stat(self._manifest)
        except FileNotFoundError:
            return KeySet(())
        signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cache is not None and self._cache[0] == signature:
            return self._cache[1]
        check_not_shared(self.directory, "keys directory")
        keyset = KeySet(tuple(self._load_key(r) for r in self.records()))
        self._cache = (signature, keyset)
        return keyset

    def _load_key(self, record: KeyRecord) -> SigningKey:
        key_path = self.directory / f"{record.kid}.key.pem"
        cert_path = self.directory / f"{record.kid}.cert.pem"
        try:
            # Our own keys, in a directory no one else may write (keys/files.py): OpenSSL's RSA consistency
            # check (about 20 ms a key) would be most of what starting a test IdP costs.
            private_key = serialization.load_pem_private_key(read_key_file(key_path), password=None, unsafe_skip_rsa_key_validation=True)
            certificate = x509.load_pem_x509_certificate(read_key_file(cert_path))
        except (OSError, ValueError, TypeError) as exc:
            raise KeyStoreError(f"cannot load key {record.kid} from {self.directory}: {exc}", code="keystore_corrupt") from None
        return SigningKey(record, private_key, certificate, published_jwk(record.kid, record.alg, certificate))  # type: ignore[arg-type]

    # -- writing -----------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        private_directory(self.directory)
        try:
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
            handle = os.fdopen(fd, "r+")
        except OSError as exc:
            raise KeyStoreError(f"cannot use keys directory {self.directory}: {exc.strerror}", code="keystore_unwritable") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _write_manifest(self, records: list[KeyRecord]) -> None:
        tmp = self.manifest_path.with_suffix(".json.tmp")
        write_new(tmp, (json.dumps({"version": 1, "keys": [r.to_json() for r in records]}, indent=2) + "\n").encode(), PUBLIC_FILE_MODE)
        os.replace(tmp, self.manifest_path)

    def _new_key(self, alg: Algorithm, now: datetime, validity_days: int) -> KeyRecord:
        private_key = generate_private_key(alg)
        kid = make_kid(alg, private_key.public_key())
        cert = self_signed_certificate(
            private_key, common_name=f"test IdP signing key {kid}", not_before=now - CERT_BACKDATE, validity_days=validity_days
        )
        key_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        write_new(self.directory / f"{kid}.key.pem", key_pem, PRIVATE_FILE_MODE)
        write_new(self.directory / f"{kid}.cert.pem", cert.public_bytes(serialization.Encoding.PEM), PUBLIC_FILE_MODE)
        return KeyRecord(kid, alg, now.astimezone(UTC).replace(microsecond=0), "active")

    def seed(self, source: Path) -> None:
        """Copy pre-generated keys (a keys directory such as ``fixtures/keys``) here, unless keys are here already."""
        with self._locked():
            if self.manifest_path.exists():
                return
            # The source is public test material (shipped in the package, or a checkout's fixtures): its files'
            # modes follow the installer's umask, so they are read as they are; the copies get our own modes.
            for item in sorted(source.iterdir()):
                if item.name.endswith(".key.pem"):
                    write_new(self.directory / item.name, item.read_bytes(), PRIVATE_FILE_MODE)
                elif item.name.endswith(".cert.pem"):
                    write_new(self.directory / item.name, item.read_bytes(), PUBLIC_FILE_MODE)
            # The manifest last: a reader never sees a kid whose files are not there yet.
            write_new(self.manifest_path, (source / MANIFEST).read_bytes(), PUBLIC_FILE_MODE)

    def ensure(self, algs: tuple[Algorithm, ...], *, now: datetime, validity_days: int) -> KeySet:
        """Make sure each algorithm has an active key, generating only what is missing."""
        with self._locked():
            records = self.records()
            missing = [a for a in algs if not any(r.alg == a and r.status == "active" for r in records)]
            if missing:
                records += [self._new_key(a, now, validity_days) for a in missing]
                self._write_manifest(records)
        return self.load()

    def rotate(self, algs: tuple[Algorithm, ...] | None, *, now: datetime, validity_days: int) -> list[KeyRecord]:
        """New active keys; the keys they replace stay published until retired."""
        with self._locked():
            records = self.records()
            targets = algs or tuple(dict.fromkeys(r.alg for r in records if r.status == "active")) or ("RS256",)
            created = [self._new_key(a, now, validity_days) for a in targets]
            records = [replace(r, status="published") if r.status == "active" and r.alg in targets else r for r in records]
            self._write_manifest(records + created)
        return created

    def follow_schedule(self, alg: Algorithm, schedule: Schedule, *, now: int, validity_days: int) -> KeySet:
        """Rotate and retire ``alg``'s keys as the schedule says is due at ``now`` (epoch seconds), once.

        Under the lock and from the manifest as it is then: of several workers sharing the directory,
        the first makes the keys and the others find nothing left to do.
        """
        with self._locked():
            records = self.records()
            plan = schedule.plan(records, alg, now)
            if plan is not None:
                # Each key is created at its due instant, not now: the schedule and the certificates do not drift.
                made = [self._new_key(alg, datetime.fromtimestamp(t, UTC), validity_days) for t in plan.created]
                made = [replace(r, status="published") for r in made[:-1]] + made[-1:]
                changed, kept = plan.statuses, [r for r in records if r.kid not in plan.forgotten]
                self._write_manifest([replace(r, status=changed[r.kid]) if r.kid in changed else r for r in kept] + made)
        return self.load()

    def retire(self, kid: str) -> KeyRecord:
        """Drop a key from the JWKS (kept on disk, so a badly done rotation can be replayed)."""
        with self._locked():
            records = self.records()
            record = next((r for r in records if r.kid == kid), None)
            if record is None:
                known = ", ".join(r.kid for r in records) or "none"
                raise KeyStoreError(f"no key with kid {kid!r} in {self.directory} (known: {known})", code="unknown_kid")
            if record.status == "active":
                raise KeyStoreError(
                    f"key {kid} is the active signing key; run 'oidc-idp keys rotate' first, then retire it",
                    code="retire_active_key",
                )
            retired = replace(record, status="retired")
            self._write_manifest([retired if r.kid == kid else r for r in records])
        return retired

    # -- the reusing pytest fixture ------------------------------------------
    def manifest_bytes(self) -> bytes | None:
        try:
            return self.manifest_path.read_bytes()
        except FileNotFoundError:
            return None

    def restore(self, manifest: bytes) -> None:
        """Back to a manifest read earlier (``manifest_bytes``): statuses as they were, keys made since deleted."""
        with self._locked():
            if self.manifest_bytes() == manifest:
                return  # nothing rotated or retired since: no write, so the loaded keys stay cached
            keep = {str(item["kid"]) for item in json.loads(manifest)["keys"]}
            for path in self.directory.glob("*.pem"):
                if path.name.split(".", 1)[0] not in keep:
                    path.unlink()
            tmp = self.manifest_path.with_suffix(".json.tmp")
            write_new(tmp, manifest, PUBLIC_FILE_MODE)
            os.replace(tmp, self.manifest_path)
