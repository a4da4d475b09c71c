"""The wheel, installed with the `mock` extra in a fresh venv outside the repository."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REPO, clean_env, run
from inductiva_mock.launcher import free_port


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the repository where the built wheel is installed by the README's name,
    `pip install 'inductiva-tasks[mock]'` (found in the wheel's directory)."""
    root = tmp_path_factory.mktemp("wheel-user")
    assert not root.is_relative_to(REPO)
    dist = root / "dist"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(REPO),
        ],
        cwd=root,
    )
    assert len(list(dist.glob("inductiva_tasks-*.whl"))) == 1  # the distribution's own name
    run([sys.executable, "-m", "venv", str(root / "venv")], cwd=root)
    python = root / "venv" / "bin" / "python"
    install = ["install", "-q", "--find-links", str(dist), "inductiva-tasks[mock]", "pytest"]
    run([str(python), "-m", "pip", *install], cwd=root)
    shown = run([str(python), "-m", "pip", "show", "inductiva-tasks"], cwd=root).stdout
    assert str(root / "venv") in shown
    return root / "venv"


def test_installed_package_carries_the_spec(user_venv: Path, tmp_path: Path) -> None:
    """inductiva_mock is imported from the venv, and its openapi.yaml from the package."""
    code = (
        "import inductiva_mock, inductiva_mock.spec as s; "
        "print(inductiva_mock.__file__); print(s.load_spec_dict()['openapi'])"
    )
    out = run([str(user_venv / "bin" / "python"), "-c", code], cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(user_venv)) and out[1].startswith("3.")
    site = Path(out[0]).parent
    assert (site / "openapi.yaml").read_bytes() == (REPO / "openapi.yaml").read_bytes()


@contextlib.contextmanager
def installed_mock(cmd: list[str], cwd: Path, key: str) -> Iterator[str]:
    """The mock started with ``cmd`` on a free port, until its /version answers; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--api-key", key],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                r = httpx.get(f"{url}/version", headers={"X-API-Key": key})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the mock did not start"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["version"].startswith("inductiva-mock")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("entry", ["console-script", "python-m"])
def test_mock_starts(user_venv: Path, tmp_path: Path, entry: str) -> None:
    """`inductiva-mock` and `python -m inductiva_mock` both start a working server."""
    cmd = (
        [str(user_venv / "bin" / "inductiva-mock")]
        if entry == "console-script"
        else [str(user_venv / "bin" / "python"), "-m", "inductiva_mock"]
    )
    with installed_mock(cmd, tmp_path, "k"):
        pass


def readme_quickstart() -> str:
    """The README's quickstart (between the quickstart markers)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- quickstart:start -->", 1)[1].split("<!-- quickstart:end -->")[0]
    match = re.search(r"```python\n(.*?)```", block, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_readme_quickstart_runs_against_the_installed_mock(user_venv: Path, tmp_path: Path) -> None:
    """The README's quickstart, run by the venv's python, works against its `inductiva-mock`."""
    script = tmp_path / "quickstart.py"
    script.write_text(readme_quickstart(), encoding="utf-8")
    with installed_mock([str(user_venv / "bin" / "inductiva-mock")], tmp_path, "demo-key") as url:
        env = {**clean_env(), "INDUCTIVA_API_URL": url, "INDUCTIVA_API_KEY": "demo-key"}
        proc = subprocess.run(
            [str(user_venv / "bin" / "python"), str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "success"
    assert lines[1] == "['result.txt', 'stderr.txt', 'stdout.txt']"
    assert "synthetic" in proc.stdout and "success" in lines[-1]


def plugin_examples() -> list[str]:
    """The pytest modules of the README and docs/testing.md (between plugin-example markers)."""
    modules = []
    for page in (REPO / "README.md", REPO / "docs" / "testing.md"):
        text = page.read_text(encoding="utf-8")
        modules += _marked_modules(text)
    assert len(modules) == 3
    return modules


def _marked_modules(text: str) -> list[str]:
    modules = []
    for part in text.split("<!-- plugin-example:start -->")[1:]:
        match = re.search(
            r"```python\n(.*?)```", part.split("<!-- plugin-example:end -->")[0], re.DOTALL
        )
        assert match is not None
        modules.append(match.group(1))
    return modules


def test_plugin_examples_pass(user_venv: Path, tmp_path: Path) -> None:
    """The docs' plugin examples, as a user's test suite, pass against the installed wheel."""
    project = tmp_path / "user-project"
    (project / "tests").mkdir(parents=True)
    for number, module in enumerate(plugin_examples()):
        (project / "tests" / f"test_with_inductiva_mock_{number}.py").write_text(module)
    python = str(user_venv / "bin" / "python")
    proc = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=project)
    assert re.search(r"\b10 passed\b", proc.stdout), proc.stdout
