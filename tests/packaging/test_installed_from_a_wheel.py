"""The project as a user installs it: a wheel in a fresh virtual environment, used from another project.

The other project has packages of its own named ``idp`` and ``validator`` (common names): with
this project installed, its pytest run must load our plugin and pass, and its own packages must
stay its own.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SUITE = ROOT / "tests" / "plugin" / "test_written_against_the_plugin.py"
TIMEOUT_SECONDS = 180

# A user's project: its own idp/ and validator/ packages, and a test using our fixture and package.
THROWAWAY_PROJECT = {
    "idp/__init__.py": 'NAME = "the user\'s own idp package"\n',
    "idp/pytest_plugin.py": 'NAME = "the user\'s own plugin module"\n',
    "validator/__init__.py": 'NAME = "the user\'s own validator package"\n',
    "tests/test_mine.py": """
import httpx
import idp
import validator
import oidc_idp
import oidc_validator


def test_my_packages_stay_mine():
    assert idp.NAME == "the user's own idp package"
    assert validator.NAME == "the user's own validator package"
    assert "site-packages" in oidc_idp.__file__ and "site-packages" in oidc_validator.__file__


def test_the_fixture_serves_a_jwks_and_tokens(oidc_idp):
    keys = httpx.get(oidc_idp.jwks_uri, timeout=5).json()["keys"]
    assert keys and all("d" not in key for key in keys)
    assert oidc_idp.issue(sub="me@example.com").count(".") == 2
""",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the test environment already has setuptools, and CI needs no download for it.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
    )
    (built,) = out.glob("oidc_onboarding-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed; its dependencies come from this environment, read-only."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    # A path line adds our dependencies without running this environment's .pth files, so the
    # editable install of the checkout is not visible there: only the wheel provides oidc_idp.
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
    )
    yield env_dir


def test_the_wheel_holds_only_the_two_packages_and_its_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/", 1)[0] for name in archive.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"oidc_idp", "oidc_validator"}
    assert len([t for t in top if t.endswith(".dist-info")]) == 1


def test_the_wheel_carries_the_json_schemas_and_the_test_keys(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    keys = ROOT / "fixtures" / "keys"
    assert {f"oidc_idp/run/test_keys/{p.name}" for p in keys.iterdir()} <= names
    assert {n for n in names if n.endswith(".schema.json")} >= {
        "oidc_validator/schemas/onboarding.schema.json",
        "oidc_validator/schemas/report.schema.json",
    }


def test_both_commands_of_the_installed_wheel_answer_help(installed: Path) -> None:
    for command in ("oidc-idp", "oidc-validator"):
        result = subprocess.run([str(installed / "bin" / command), "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "usage:" in result.stdout


def test_a_project_with_its_own_idp_and_validator_packages_runs_pytest_with_the_plugin(installed: Path, tmp_path: Path) -> None:
    for name, text in THROWAWAY_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_plugin_suite_passes_against_the_installed_wheel_with_the_same_keys_as_the_checkout(installed: Path, tmp_path: Path) -> None:
    # The wheel must behave like the checkout: same pre-generated keys, so the same JWKS (four kids).
    (tmp_path / PLUGIN_SUITE.name).write_text(PLUGIN_SUITE.read_text())
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", PLUGIN_SUITE.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " failed" not in result.stdout and " passed" in result.stdout


# After onboarding, as a user's script would run it with the wheel alone: onboard, rotate, drift, follow up, verify.
DRIFT_STORY = """
import os, sys, zipfile
from pathlib import Path
from oidc_idp import running
from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME
from oidc_validator.cli.main import main

os.environ["SECRET"], os.environ["PASSWORD"] = DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD
grant = ["--client-id", DEFAULT_CLIENT_ID, "--client-secret-env", "SECRET", "--username", DEFAULT_USERNAME, "--password-env", "PASSWORD"]
with running(tls=True) as idp:
    ca = ["--ca-file", str(idp.ca_file)]
    request = ["--entity-id", idp.issuer, "--issuer", idp.issuer, "--audience", DEFAULT_AUDIENCE, "--external-id", "demo@example.com"]
    print("bundle", main(["bundle", *request, *grant, *ca, "--key-source", "certificates", "-o", "a.zip"]), file=sys.stderr)
    idp.rotate()
    print("drift", main(["drift", "--bundle", "a.zip", *grant, *ca, "--update-bundle", "b.zip"]), file=sys.stderr)
print("verify", main(["verify-bundle", "b.zip"]), file=sys.stderr)
print("entries", sorted(zipfile.ZipFile("b.zip").namelist()), file=sys.stderr)
"""


def test_the_installed_wheel_catches_a_rotation_and_writes_a_follow_up_package_that_verifies(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "story.py").write_text(DRIFT_STORY)
    result = subprocess.run(
        [str(installed / "bin" / "python"), "story.py"], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )
    said = result.stderr
    assert result.returncode == 0, result.stdout + said
    assert "bundle 0" in said and "drift 1" in said and "verify 0" in said, said
    assert "drift_token_kid_not_pinned" in result.stdout
    assert "'report.html'" in said and "'onboarding.json'" in said
