"""The README's Python examples: each runs against the mock as written, and passes mypy --strict.

The prelude is documented in the README ("Examples that run"). A block preceded by
``<!-- readme-example: skip (reason) -->`` (or the plugin-example marker: a pytest
module run by tests/packaging/test_wheel.py) is not run.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _http
from inductiva.demo import _prepare_inputs

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SKIP_MARKERS = ("<!-- readme-example: skip", "<!-- plugin-example:start -->")
SETTINGS = (
    "api_key",
    "api_url",
    "timeout",
    "max_retries",
    "progress",
    "max_extract_size",
    "max_compression_ratio",
    "download_connections",
)

MYPY_PRELUDE = textwrap.dedent(
    """\
    import asyncio

    import inductiva
    from inductiva.molecules import ProteinSolvation, ProteinSolvationOutput

    task: inductiva.Task[ProteinSolvationOutput]
    scenario: ProteinSolvation
    """
)

pytestmark = pytest.mark.contract


def python_blocks() -> list[tuple[int, str, bool]]:
    """(line, code, runnable) of every ```python block of the README."""
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks: list[tuple[int, str, bool]] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            start = i
            previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            i += 1
            body = []
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            skip = previous.strip().startswith(SKIP_MARKERS)
            blocks.append((start + 1, "\n".join(body) + "\n", not skip))
        i += 1
    return blocks


def test_blocks_are_found_and_few_are_skipped() -> None:
    """The README has many Python blocks, and only the two pytest modules are skipped."""
    blocks = python_blocks()
    assert len(blocks) >= 10
    assert sum(not runnable for _, _, runnable in blocks) == 2
    text = README.read_text(encoding="utf-8")
    for marker in re.findall(r"<!-- readme-example: skip[^>]*-->", text):
        assert "(" in marker, f"a skip marker must say why: {marker}"


@pytest.fixture
def readme_dir(
    mock_server: MockServer, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pathlib.Path]:
    """The prelude: a temp cwd with my_protein.pdb and my_case/, the env pointing at the mock."""
    _, case = _prepare_inputs(tmp_path)
    shutil.move(case, tmp_path / "my_case")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INDUCTIVA_API_KEY", "test-key")
    monkeypatch.setenv("INDUCTIVA_API_URL", mock_server.url)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    for name in SETTINGS:
        monkeypatch.setattr(inductiva, name, None)
    _http.reset()
    yield tmp_path
    _http.reset()


def test_readme_python_examples_run_as_written(readme_dir: pathlib.Path) -> None:
    """Every runnable Python block of the README runs, in order, against the mock."""
    namespace: dict[str, object] = {"__name__": "readme", "asyncio": asyncio}
    exec("import asyncio, inductiva", namespace)
    for line, code, runnable in python_blocks():
        if not runnable:
            continue
        for name in SETTINGS:
            setattr(inductiva, name, None)
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"README block at line {line} failed: {type(exc).__name__}: {exc}")


def test_readme_python_examples_pass_mypy_strict(tmp_path: pathlib.Path) -> None:
    """Each runnable README block type-checks with mypy --strict (after the typing prelude)."""
    files = []
    for line, code, runnable in python_blocks():
        if runnable:
            path = tmp_path / f"readme_line_{line}.py"
            path.write_text(MYPY_PRELUDE + code, encoding="utf-8")
            files.append(str(path))
    headline = tmp_path / "headline.py"
    headline.write_text(
        MYPY_PRELUDE + "energies: list[tuple[float, float]] = "
        "scenario.simulate().get_output().energies()\n"
        'bad: inductiva.TaskStatus = "success"\n'
    )
    files.append(str(headline))
    mypy = pathlib.Path(sys.executable).parent / "mypy"
    env = dict(os.environ, MYPYPATH=f"{REPO / 'generated'}:{REPO / 'mock_server'}")
    result = subprocess.run(
        [str(mypy), "--strict", "--no-incremental", "--python-version", "3.11", *files],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_a_misspelt_status(tmp_path: pathlib.Path) -> None:
    """TaskStatus catches status="sucess" before run time."""
    path = tmp_path / "typo.py"
    path.write_text('import inductiva\ninductiva.tasks.get(5, status="sucess")\n')
    mypy = pathlib.Path(sys.executable).parent / "mypy"
    env = dict(os.environ, MYPYPATH=f"{REPO / 'generated'}:{REPO / 'mock_server'}")
    result = subprocess.run(
        [str(mypy), "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1 and "sucess" in result.stdout


def test_reliability_promises_name_tests_that_exist() -> None:
    """Each row of the README's Reliability table names test files and functions that exist."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Reliability\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| **")]
    assert len(rows) >= 8
    files = {path.name: path for path in (REPO / "tests").rglob("test_*.py")}
    for row in rows:
        current = None
        refs = re.findall(r"`((?:tests/[\w/]+/)?test_\w+\.py)?(?:::(\w+))?`", row.split("|")[2])
        assert refs, row
        for file, function in refs:
            if file:
                current = files.get(pathlib.PurePath(file).name)
                assert current is not None and str(current).endswith(file), file
            assert current is not None, row
            if function:
                assert f"def {function}(" in current.read_text(), f"{current.name}::{function}"
