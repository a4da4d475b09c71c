"""The sdist holds what its own `make install` needs."""

from __future__ import annotations

import shutil
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import REPO, run


@pytest.mark.skipif(shutil.which("npm") is None, reason="make install needs npm")
def test_sdist_make_install(tmp_path: Path) -> None:
    """Built, unpacked in a temp dir and `make install`ed: venv with the mock, and Prism."""
    run(
        [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--no-isolation",
            "-o",
            str(tmp_path),
            str(REPO),
        ],
        cwd=tmp_path,
    )
    (sdist,) = tmp_path.glob("inductiva_tasks-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "unpacked", filter="data")
    root = tmp_path / "unpacked" / sdist.name.removesuffix(".tar.gz")
    for needed in ("Makefile", "package.json", "package-lock.json", "openapi.yaml"):
        assert f"{root.name}/{needed}" in names
    run(["make", "install", f"PYTHON={sys.executable}"], cwd=root, timeout=300)
    assert (root / "node_modules" / ".bin" / "prism").exists()
    out = run([str(root / ".venv" / "bin" / "python"), "-m", "inductiva_mock", "--help"], cwd=root)
    assert "--admin-token" in out.stdout
