"""The IdP's exception root. Every error has a stable snake_case ``code``."""

from __future__ import annotations


class IdpError(Exception):
    """Root of every error the test IdP raises on purpose; ``str(error)`` is its one-line message."""

    code = "idp_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or type(self).code


class ConfigError(IdpError):
    """The configuration (TOML file or flags) is not usable."""

    code = "config_invalid"


class KeyStoreError(IdpError):
    """The keys directory is unreadable, corrupt, or the operation makes no sense."""

    code = "keystore_error"


class OAuthError(IdpError):
    """An RFC 6749 section 5.2 error, rendered as OAuth error JSON by the app's handler."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status_code: int = 400,
        www_authenticate: str | None = None,
    ) -> None:
        # The OAuth error code (RFC 6749 section 5.2) is this error's code: one name for both.
        super().__init__(description, code=error)
        self.description = description
        self.status_code = status_code
        self.www_authenticate = www_authenticate
