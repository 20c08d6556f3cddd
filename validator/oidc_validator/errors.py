"""The validator's exception root. Errors mean "could not run" (exit 2); problems found are Findings.

Every error the validator raises on purpose derives from ``ValidatorError`` and names itself by ``code``
(stable snake_case): UsageError here, BundleError (bundle.errors), JoseError (crypto.jose),
JwkError (crypto.jwk), CertificateError (crypto.certs). The parsing ones are ValueErrors as well.
"""

from __future__ import annotations


class ValidatorError(Exception):
    """Root of every error the validator raises on purpose. ``code`` is stable snake_case."""

    code = "validator_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class UsageError(ValidatorError):
    """Bad flags or config file: exit 2 with a one-line message."""

    code = "usage"
