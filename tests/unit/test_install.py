"""inductiva._http._install: the vendor's `inductiva` distribution installed beside ours is
refused at first use (not at import) with a message saying how to repair the environment."""

from __future__ import annotations

import pathlib
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

import inductiva
from inductiva import cli, errors
from inductiva._http import _install


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment is looked at again (the once-per-process result forgotten)."""
    monkeypatch.setattr(_install, "_checked", False)
    yield


@pytest.fixture
def vendor_installed(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, unchecked: None
) -> pathlib.Path:
    """A site directory on sys.path holding the vendor's distribution `inductiva` 0.18.12."""
    info = tmp_path / "site" / "inductiva-0.18.12.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: inductiva\nVersion: 0.18.12\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return tmp_path / "site"


def _client(sent: list[httpx.Request]) -> inductiva.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": "1", "status": "success"})

    transport = httpx.MockTransport(answer)
    return inductiva.Client(api_key="k", api_url="http://localhost:1", transport=transport)


def test_vendor_distribution_is_refused_before_any_request(vendor_installed: pathlib.Path) -> None:
    """With `inductiva` 0.18.12 installed too, the first call raises, naming it and the fix."""
    sent: list[httpx.Request] = []
    client = _client(sent)  # building a client does no I/O: the check comes at first use
    with pytest.raises(errors.ConfigurationError) as caught:
        client.task("1").get_status()
    message = str(caught.value)
    assert "'inductiva' 0.18.12" in message and str(vendor_installed) in message
    assert "pip uninstall -y inductiva inductiva-tasks" in message
    assert "pip install inductiva-tasks" in message
    assert caught.value.setting == "installation" and sent == []


def test_clean_environment_is_checked_once(unchecked: None) -> None:
    """Without the vendor's distribution, calls work and the environment is looked at once."""
    sent: list[httpx.Request] = []
    assert _client(sent).task("1").get_status() == "success"
    assert _install._checked and len(sent) == 1


def test_cli_refuses_with_one_line_and_exit_2(
    vendor_installed: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line says it in one line (usage error, 2) before asking anything."""
    code = cli.main(["--api-key", "k", "--api-url", "http://localhost:1", "tasks", "kill", "1"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and err.count("\n") == 1
    assert "inductiva-tasks" in err and "Kill task" not in err


def test_import_does_not_look(vendor_installed: pathlib.Path) -> None:
    """Importing inductiva beside the vendor's distribution raises nothing (no I/O at import)."""
    code = "import inductiva, inductiva.cli; print('imported')"
    env_path = f"{vendor_installed}"
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "imported"
