"""The examples in the docs run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
TIMEOUT_SECONDS = 60


def code_block(markdown: Path, language: str) -> str:
    (block,) = re.findall(rf"```{language}\n(.*?)```", markdown.read_text(), flags=re.S)
    return str(block)


def test_the_nodejs_example_in_the_testing_guide_gets_a_token_and_the_jwks(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the users asked for this example to be tested where it is")
    script = tmp_path / "example.mjs"
    script.write_text(code_block(DOCS / "testing.md", "js"))
    # The example runs `oidc-idp` from PATH, as a user's shell would find it.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert re.search(r"token with 3 parts, [1-9]\d* key\(s\) in the JWKS", result.stdout), result.stdout
