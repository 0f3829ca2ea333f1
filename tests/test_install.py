"""kefu installs and starts with its declared runtime dependencies alone.

A fresh virtualenv (the interpreter running the tests, no system site-packages) gets the package
under test installed the plain way, `pip install <checkout>` without extras, so it holds kefu,
`[project].dependencies` and what they pull in, and nothing of the test extra. Then the installed
`kefu --version` prints this checkout's version and `kefu --db FILE init` makes a desk. A runtime
import missing from the dependency list fails here, even though the development environment
(which has the test extra) would hide it.

The checkout is copied first (without its virtualenvs, caches and tests), so pip's in-tree build
leaves nothing in it. Wheels come from pip's cache where it has them, else from the package index;
with no network the test is skipped, saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kefu

CHECKOUT = Path(kefu.__file__).resolve().parent
"""The package under test: the repository root is the `kefu` package."""
NOT_SHIPPED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".typing",  # holds a link back to the checkout
    ".*_cache",
    ".hypothesis",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    "tests",
    "*.db",
    "*.db-*",
    "snapshot_report.html",
)
PIP_TIMEOUT_S = 600
NO_NETWORK = re.compile(
    r"NewConnectionError|ConnectTimeoutError|ReadTimeoutError|Max retries exceeded|connection broken by"
    r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|ProxyError|Could not fetch URL",
)
"""What pip says when it cannot reach the package index."""


def _requirement_name(requirement: str) -> str:
    """The distribution name of a PEP 508 requirement, normalised (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _pip(venv_python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(venv_python), "-m", "pip", *args, "--timeout", "30", "--retries", "3"]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, cwd=cwd, env=_clean_env()
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip took over {PIP_TIMEOUT_S} s (no network, or a very slow one): {' '.join(args)}")


def _clean_env() -> dict[str, str]:
    """This process's environment without what would let the new venv see another kefu or desk."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "KEFU_DB"):
        env.pop(name, None)
    env["KEFU_LANG"] = "en"
    return env


def test_a_fresh_venv_runs_kefu_with_only_its_declared_dependencies(tmp_path: Path) -> None:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    test_only = {_requirement_name(r) for r in project["optional-dependencies"]["test"]} - runtime

    source = tmp_path / "kefu-src"
    shutil.copytree(CHECKOUT, source, ignore=NOT_SHIPPED, symlinks=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, capture_output=True)
    python, kefu_bin = venv / "bin" / "python", venv / "bin" / "kefu"

    installed = _pip(
        python, "install", "--progress-bar", "off", str(source), cwd=tmp_path
    )  # no extras: the runtime list alone
    if installed.returncode != 0:
        output = installed.stdout + installed.stderr
        if NO_NETWORK.search(output):
            pytest.skip(f"pip cannot reach the package index to fetch kefu's dependencies:\n{output[-2000:]}")
        pytest.fail(f"pip install {source} failed:\n{output}")

    listed = _pip(python, "list", "--format", "freeze", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    present = {_requirement_name(line) for line in listed.stdout.splitlines() if line.strip()}
    assert runtime <= present, f"declared dependencies not installed: {sorted(runtime - present)}"
    assert not (test_only & present), f"the test extra leaked in: {sorted(test_only & present)}"
    where = subprocess.run(
        [str(python), "-c", "import kefu; print(kefu.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve()), where.stdout

    version = subprocess.run(
        [str(kefu_bin), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert version.returncode == 0, version.stdout + version.stderr
    assert version.stdout.split() == ["kefu", kefu.__version__], version.stdout

    db = tmp_path / "k.db"
    init = subprocess.run(
        [str(kefu_bin), "--db", str(db), "init"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert "Traceback" not in init.stdout + init.stderr
    assert db.is_file() and db.stat().st_size > 0
