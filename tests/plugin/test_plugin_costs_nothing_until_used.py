"""pytest loads the plugin in every run of an environment that has the project: it must not load the IdP's stack."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastapi", "starlette", "uvicorn", "authlib", "jwt", "cryptography", "pydantic", "httpx", "joserfc")


def test_loading_the_plugin_imports_none_of_the_servers_libraries() -> None:
    code = f"import sys\nimport oidc_idp\nimport oidc_idp.run.pytest_plugin\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_package_face_still_gives_running_when_asked() -> None:
    import oidc_idp

    assert callable(oidc_idp.running) and oidc_idp.RunningIdp.__name__ == "RunningIdp"
