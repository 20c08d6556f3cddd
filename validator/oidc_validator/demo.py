"""``make run``: the main job end to end on the embedded test IdP.

Starts the test IdP (HTTPS, its own local CA), gets tokens with the password grant as in the
brief's Okta example, runs ``check --simulate``, writes the onboarding package to ``out/``,
verifies it, and prints the report and the package's path. The credentials are the IdP's
documented test-only demo credentials.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from oidc_validator.cli.main import main as validator

OUT = Path("out")


def run() -> int:
    from oidc_idp import running
    from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME

    OUT.mkdir(exist_ok=True)
    # Secrets reach the validator only through the environment, as they would in CI.
    os.environ["DEMO_CLIENT_SECRET"] = DEFAULT_CLIENT_SECRET
    os.environ["DEMO_PASSWORD"] = DEFAULT_PASSWORD
    with running(tls=True, keys_dir=OUT / "idp-keys") as idp:
        print(f"== test IdP: {idp.issuer} (TLS; local CA {idp.ca_file})\n", flush=True)
        inputs = [
            "--idp-name", "Demo IdP",
            "--entity-id", idp.issuer,
            "--issuer", idp.issuer,
            "--audience", DEFAULT_AUDIENCE,
            "--external-id", "demo@example.com",
            "--client-id", DEFAULT_CLIENT_ID, "--client-secret-env", "DEMO_CLIENT_SECRET",
            "--username", DEFAULT_USERNAME, "--password-env", "DEMO_PASSWORD",
            "--ca-file", str(idp.ca_file),
        ]  # fmt: skip
        print("== oidc-validator check --simulate\n", flush=True)
        checked = validator(["check", *inputs, "--simulate"])
        bundle = OUT / "qualys-oidc-onboarding-demo-idp.zip"
        print("\n== oidc-validator bundle", flush=True)
        written = validator(["bundle", *inputs, "-o", str(bundle)])
        print("\n== oidc-validator verify-bundle", flush=True)
        verified = validator(["verify-bundle", str(bundle)]) if written == 0 else written
    if checked or written or verified:
        print("\nThe demo did not complete: see the messages above.", file=sys.stderr)
        return 1
    print(f"\nOnboarding package for Qualys Support: {bundle.resolve()}")
    print("Attach it to the support request; paste REQUEST.md into the ticket.")
    return 0


if __name__ == "__main__":
    sys.exit(run())
