"""The Python examples of the README and of docs/: each runs on its own, as written.

Every ```python block of README.md and docs/**/*.md runs alone (a fresh namespace,
a fresh working directory with the documented inputs, a mock server reset to an empty
account) and passes mypy --strict alone, so a block that leans on another block's
names fails. A block preceded by ``<!-- example: skip (reason) -->`` is not run, nor
are the pytest modules between plugin-example markers (tests/packaging/test_wheel.py
runs those). Every relative link of these files points to a file that exists, and to a
heading that exists. The rules are documented in docs/development.md ("Examples that
run").
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from inductiva_mock.launcher import MockServer

from inductiva import _http
from inductiva.demo import _prepare_inputs

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").rglob("*.md"))]
LINKED = [*PAGES, REPO / "CHANGELOG.md"]
SKIP_MARKER = "<!-- example: skip"
PLUGIN_MARKER = "<!-- plugin-example:start -->"
LANGUAGES = {"python", "bash", "text", "json"}
"""Every fenced block names one of these: only ``python`` ones are run."""
KEY = "docs-key"
CONFIGURED_VARIABLES = {"INDUCTIVA_API_KEY"}
"""The only variable an example may read: the one the Configuration page sets."""

MYPY_HEADLINE = """\
import inductiva

scenario = inductiva.molecules.ProteinSolvation(protein_pdb="my_protein.pdb")
energies: list[tuple[float, float]] = scenario.simulate().get_output().energies()
bad: inductiva.TaskStatus = "success"
"""

pytestmark = pytest.mark.contract


class Block(NamedTuple):
    """One fenced Python block: where it is, its code, and whether it is run."""

    path: pathlib.Path
    line: int
    code: str
    runnable: bool

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def fences(path: pathlib.Path) -> Iterator[tuple[int, str, list[str], str]]:
    """(line, language, body lines, previous non-blank line) of each fenced block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^(\s*)```(\S*)\s*$", lines[i])
        if match:
            start, indent = i, match.group(1)
            previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            i += 1
            body = []
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i].removeprefix(indent))
                i += 1
            assert i < len(lines), f"{path.name}:{start + 1}: unclosed code block"
            yield start + 1, match.group(2), body, previous.strip()
        i += 1


def python_blocks() -> list[Block]:
    blocks = []
    for path in PAGES:
        for line, language, body, previous in fences(path):
            if language == "python":
                runnable = not previous.startswith((SKIP_MARKER, PLUGIN_MARKER))
                blocks.append(Block(path, line, "\n".join(body) + "\n", runnable))
    return blocks


BLOCKS = python_blocks()
RUNNABLE = [block for block in BLOCKS if block.runnable]


def test_blocks_are_found_and_few_are_skipped() -> None:
    """The pages hold many Python blocks, every fence names its language, few are skipped."""
    assert len(RUNNABLE) >= 20
    assert sum(block.path == README for block in RUNNABLE) >= 3
    for path in PAGES:
        for line, language, _, _ in fences(path):
            assert language in LANGUAGES, f"{path.name}:{line}: fence language {language!r}"
        text = path.read_text(encoding="utf-8")
        for marker in re.findall(r"<!-- example: skip[^>]*-->", text):
            assert "(" in marker, f"{path.name}: a skip marker must say why: {marker}"
        assert "readme-example: skip" not in text, f"{path.name}: use <!-- example: skip (why) -->"
    skipped = [block.name for block in BLOCKS if not block.runnable]
    assert len(skipped) <= 3, skipped


def test_examples_read_only_the_configured_variable() -> None:
    """No example needs an environment variable that the Configuration page does not set."""
    for block in RUNNABLE:
        read = set(re.findall(r"""os\.environ\[\s*["'](\w+)""", block.code))
        read |= set(re.findall(r"""(?:environ\.get|getenv)\(\s*["'](\w+)""", block.code))
        assert read <= CONFIGURED_VARIABLES, f"{block.name} reads {sorted(read)}"


@pytest.fixture(scope="module")
def docs_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A mock of its own (default mode, strict responses), reset before each example."""
    server = MockServer(
        data_dir=tmp_path_factory.mktemp("docs-mock"),
        api_keys=(KEY,),
        admin=True,
        extra_args=["--kill-grace-seconds", "1"],
        strict_responses=True,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.name for block in RUNNABLE])
def test_example_runs_on_its_own(
    block: Block,
    docs_mock: MockServer,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The block runs alone against an empty account, with only the documented inputs."""
    docs_mock.reset()
    _, case = _prepare_inputs(tmp_path)
    shutil.move(case, tmp_path / "my_case")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INDUCTIVA_API_KEY", KEY)
    monkeypatch.setenv("INDUCTIVA_API_URL", docs_mock.url)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    _http.reset()
    namespace: dict[str, object] = {"__name__": "__main__"}
    try:
        exec(compile(block.code, block.name, "exec"), namespace)
    except Exception as exc:
        pytest.fail(f"{block.name} failed: {type(exc).__name__}: {exc}")
    finally:
        _http.reset()
    errors = docs_mock.stats().get("response_validation_errors", [])
    assert not errors, f"the mock answered responses violating openapi.yaml: {errors}"


def _mypy(tmp_path: pathlib.Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    mypy = pathlib.Path(sys.executable).parent / "mypy"
    env = dict(os.environ, MYPYPATH=f"{REPO / 'generated'}:{REPO / 'mock_server'}")
    return subprocess.run(
        [str(mypy), "--strict", "--no-incremental", "--python-version", "3.11", *files],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )


def test_examples_pass_mypy_strict_on_their_own(tmp_path: pathlib.Path) -> None:
    """Each runnable block type-checks alone with mypy --strict (no prelude of any kind)."""
    files = []
    for number, block in enumerate(RUNNABLE):
        stem = re.sub(r"\W", "_", block.path.stem.lower())
        path = tmp_path / f"example_{number:03d}_{stem}_{block.line}.py"
        path.write_text(f"# {block.name}\n{block.code}", encoding="utf-8")
        files.append(str(path))
    headline = tmp_path / "headline.py"
    headline.write_text(MYPY_HEADLINE, encoding="utf-8")
    files.append(str(headline))
    result = _mypy(tmp_path, files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_a_misspelt_status(tmp_path: pathlib.Path) -> None:
    """TaskStatus catches status="sucess" before run time."""
    path = tmp_path / "typo.py"
    path.write_text('import inductiva\ninductiva.tasks.get(5, status="sucess")\n')
    result = _mypy(tmp_path, [str(path)])
    assert result.returncode == 1 and "sucess" in result.stdout


def slug(heading: str) -> str:
    """The anchor GitHub (and MkDocs, for these headings) gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path: pathlib.Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.MULTILINE | re.DOTALL)
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)}


def links(path: pathlib.Path) -> Iterator[str]:
    """The targets of the Markdown links of ``path``, outside code blocks and code spans."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"``.*?``|`[^`\n]*`", "", text)
    yield from re.findall(r"\]\(\s*([^)\s]+)\s*\)", text)


def test_every_relative_link_resolves() -> None:
    """Each relative link of the README, the docs and the changelog names an existing file
    of the repository, and each #anchor a heading of its page."""
    checked = 0
    for path in LINKED:
        for target in links(path):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:
            file, _, anchor = target.partition("#")
            where = f"{path.relative_to(REPO)} links {target!r}"
            resolved = (path.parent / file).resolve() if file else path
            assert resolved.is_relative_to(REPO), f"{where}: outside the repository"
            assert resolved.exists(), f"{where}: no such file"
            if anchor and resolved.suffix == ".md":
                assert anchor in anchors(resolved), f"{where}: no such heading"
            checked += 1
    assert checked >= 20


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
