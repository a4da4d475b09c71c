"""Server configuration: options, INDUCTIVA_MOCK_* variables, --help and the docs' table."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from inductiva_mock.config import parse_args
from inductiva_mock.launcher import MockServer

REPO = Path(__file__).resolve().parents[2]
ENV_VARS = (
    "INDUCTIVA_MOCK_API_KEYS",
    "INDUCTIVA_MOCK_DATA_DIR",
    "INDUCTIVA_MOCK_FAULTS",
    "INDUCTIVA_MOCK_LEGACY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No INDUCTIVA_MOCK_* variable leaks in from the caller's environment."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    """Without options or variables: loopback, port 8000, one generated key, no faults."""
    cfg = parse_args([])
    assert (cfg.host, cfg.port, cfg.admin) == ("127.0.0.1", 8000, False)
    assert cfg.generated_key and len(cfg.api_keys) == 1 and len(cfg.api_keys[0]) >= 20
    assert cfg.faults == {} and cfg.validate_responses
    assert not cfg.legacy and not cfg.strict_responses
    assert (cfg.vm_type, cfg.n_vcpus, cfg.max_concurrent) == ("c2-standard-8", 8, 4)


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """INDUCTIVA_MOCK_API_KEYS (comma-separated), _DATA_DIR and _FAULTS configure the server."""
    monkeypatch.setenv("INDUCTIVA_MOCK_API_KEYS", " k1, k2 ,,")
    monkeypatch.setenv("INDUCTIVA_MOCK_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("INDUCTIVA_MOCK_FAULTS", '{"fail_next": 2, "retry_after": 5}')
    cfg = parse_args([])
    assert cfg.api_keys == ["k1", "k2"] and not cfg.generated_key
    assert cfg.data_dir == tmp_path / "state"
    assert cfg.faults == {"fail_next": 2, "retry_after": 5}


def test_options_win_over_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--api-key, --data-dir and --faults override the variables."""
    monkeypatch.setenv("INDUCTIVA_MOCK_API_KEYS", "env-key")
    monkeypatch.setenv("INDUCTIVA_MOCK_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("INDUCTIVA_MOCK_FAULTS", '{"fail_next": 9}')
    argv = ["--api-key", "a", "--api-key", "b", "--data-dir", str(tmp_path / "opt")]
    cfg = parse_args([*argv, "--faults", '{"delay_seconds": 0.1}'])
    assert cfg.api_keys == ["a", "b"]
    assert cfg.data_dir == tmp_path / "opt"
    assert cfg.faults == {"delay_seconds": 0.1}


def test_legacy_and_strict_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """--legacy (or INDUCTIVA_MOCK_LEGACY=1) and --strict-responses; MockServer passes them."""
    assert parse_args(["--legacy", "--strict-responses"]).legacy
    assert parse_args(["--strict-responses"]).strict_responses
    monkeypatch.setenv("INDUCTIVA_MOCK_LEGACY", "1")
    assert parse_args([]).legacy
    command = MockServer(legacy=True, strict_responses=True).command()
    assert "--legacy" in command and "--strict-responses" in command
    assert "--legacy" not in MockServer().command()


def test_vcpus_from_vm_type_or_option() -> None:
    """n_vcpus comes from the machine type's suffix unless --n-vcpus is given."""
    assert parse_args(["--vm-type", "n2-highcpu-32"]).n_vcpus == 32
    assert parse_args(["--vm-type", "local"]).n_vcpus == 1
    assert parse_args(["--vm-type", "local", "--n-vcpus", "6"]).n_vcpus == 6


@pytest.mark.parametrize(
    ("argv", "env_faults", "expected"),
    [
        (["--faults", "{not json"], None, "--faults / INDUCTIVA_MOCK_FAULTS"),
        (["--faults", "[1]"], None, "JSON object"),
        ([], '{"fail_status": 500}', "fail_status must be 429 or 503"),
        ([], '{"bogus": 1}', "allowed: ['bandwidth_per_connection', 'delay_seconds'"),
        (["--max-concurrent", "0"], None, "--max-concurrent must be >= 1"),
        (["--port", "70000"], None, "--port must be 0-65535"),
        (["--kill-grace-seconds", "-1"], None, "--kill-grace-seconds must be >= 0"),
        (["--log-level", "loud"], None, "choose from"),
    ],
)
def test_bad_values_exit_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env_faults: str | None,
    expected: str,
) -> None:
    """Invalid options or variables exit 2 with a message saying what is allowed."""
    if env_faults is not None:
        monkeypatch.setenv("INDUCTIVA_MOCK_FAULTS", env_faults)
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert expected in capsys.readouterr().err


def _documented_options() -> set[str]:
    text = (REPO / "docs" / "mock.md").read_text(encoding="utf-8")
    table = text.split("| Option |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `(--[a-z-]+)", table, re.MULTILINE))


def test_help_matches_the_documented_table() -> None:
    """`python -m inductiva_mock --help` lists exactly the options of the docs' table."""
    out = subprocess.run(
        [sys.executable, "-m", "inductiva_mock", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert out.startswith("usage: python -m inductiva_mock")
    options = set(re.findall(r"^\s+(--[a-z-]+)", out, re.MULTILINE)) - {"--help"}
    assert options == _documented_options()


def test_server_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server started with no --api-key/--faults takes them from the environment."""
    monkeypatch.setenv("INDUCTIVA_MOCK_API_KEYS", "env-key-1,env-key-2")
    monkeypatch.setenv("INDUCTIVA_MOCK_FAULTS", '{"fail_next": 1, "path_regex": "^/tasks$"}')
    with MockServer(api_keys=()) as s:
        assert "--api-key" not in s.command() and "--faults" not in s.command()
        first = httpx.get(f"{s.url}/tasks", headers={"X-API-Key": "env-key-1"})
        assert first.status_code == 503
        for key in ("env-key-1", "env-key-2"):
            assert httpx.get(f"{s.url}/tasks", headers={"X-API-Key": key}).status_code == 200
        assert httpx.get(f"{s.url}/tasks", headers={"X-API-Key": "x"}).status_code == 401


def test_bandwidth_fault_is_validated() -> None:
    """bandwidth_per_connection is a fault setting; a negative cap is refused."""
    from inductiva_mock.faults import Faults

    assert (
        Faults.from_dict({"bandwidth_per_connection": 1024}).to_dict()["bandwidth_per_connection"]
        == 1024
    )
    with pytest.raises(ValueError):
        Faults.from_dict({"bandwidth_per_connection": -1})


def test_busy_port_fails_with_one_line_and_no_banner(tmp_path: Path) -> None:
    """On a port another server holds: exit 1, one stderr line naming the port and --port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "inductiva_mock", "--port", str(port), "--api-key", "k"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert "--port N" in proc.stderr and "Traceback" not in proc.stderr
