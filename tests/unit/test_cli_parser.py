"""The `inductiva` argument parser: options, defaults, validation and exit codes of usage errors."""

from __future__ import annotations

import pytest

import inductiva
from inductiva import cli

COMMANDS = ("list", "info", "kill", "wait", "download", "files")


def _parse(*argv: str):
    return cli.build_parser().parse_args(list(argv))


def test_list_defaults() -> None:
    """`tasks list` shows the last 10 tasks of any status by default."""
    args = _parse("tasks", "list")
    assert (args.command, args.last_n, args.status) == ("list", 10, None)


def test_list_with_n_and_status() -> None:
    """`-n` and `--status` are parsed into last_n and status."""
    args = _parse("tasks", "list", "-n", "3", "--status", "success")
    assert (args.last_n, args.status) == (3, "success")


def test_list_bad_status_lists_allowed_values(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --status is a usage error (2) naming every allowed status."""
    assert cli.main(["tasks", "list", "--status", "done"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "done" in err
    for status in ("pending-input", "submitted", "started", "success", "failed", "killed"):
        assert status in err


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_list_bad_n_is_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """-n must be a whole number >= 1."""
    assert cli.main(["tasks", "list", "-n", value]) == cli.EXIT_USAGE
    assert ">= 1" in capsys.readouterr().err


def test_kill_takes_many_ids_and_yes() -> None:
    """`tasks kill` takes one or more ids and -y/--yes."""
    args = _parse("tasks", "kill", "1", "2", "-y")
    assert (args.task_ids, args.yes) == (["1", "2"], True)
    assert _parse("tasks", "kill", "1").yes is False


def test_kill_needs_an_id(capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks kill` without an id is a usage error."""
    assert cli.main(["tasks", "kill"]) == cli.EXIT_USAGE
    assert "ID" in capsys.readouterr().err


def test_wait_timeout() -> None:
    """`tasks wait --timeout` is seconds as a float; no timeout by default."""
    assert _parse("tasks", "wait", "1", "--timeout", "2.5").timeout == 2.5
    assert _parse("tasks", "wait", "1").timeout is None


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan", "inf"])
def test_wait_bad_timeout(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A timeout that is not a positive finite number of seconds is a usage error."""
    assert cli.main(["tasks", "wait", "1", "--timeout", value]) == cli.EXIT_USAGE
    assert "seconds > 0" in capsys.readouterr().err


def test_download_options() -> None:
    """`tasks download` maps --filenames, --dir and --no-uncompress."""
    args = _parse(
        "tasks", "download", "7", "--filenames", "a.txt", "b.txt", "--dir", "out", "--no-uncompress"
    )
    assert (args.task_id, args.filenames, args.output_dir, args.uncompress) == (
        "7",
        ["a.txt", "b.txt"],
        "out",
        False,
    )


def test_download_defaults() -> None:
    """By default everything is downloaded and extracted to the library's default directory."""
    args = _parse("tasks", "download", "7")
    assert (args.filenames, args.output_dir, args.uncompress) == (None, None, True)


def test_global_options_before_command() -> None:
    """--api-key, --api-url and -v are accepted before the command."""
    args = _parse("--api-key", "k", "--api-url", "http://x", "-vv", "tasks", "files", "1")
    assert (args.api_key, args.api_url, args.verbose) == ("k", "http://x", 2)


def test_global_options_after_command() -> None:
    """--api-key, --api-url and -v are also accepted after the command."""
    args = _parse("tasks", "info", "1", "--api-key", "k", "--api-url", "http://x", "-v")
    assert (args.api_key, args.api_url, args.verbose) == ("k", "http://x", 1)


def test_global_option_defaults() -> None:
    """Without global options, settings come from the environment (None) and logging is off."""
    args = _parse("tasks", "info", "1")
    assert (args.api_key, args.api_url, args.verbose) == (None, None, 0)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the client version and exits 0."""
    assert cli.main(["--version"]) == cli.EXIT_OK
    assert capsys.readouterr().out.strip() == f"inductiva {inductiva.__version__}"


@pytest.mark.parametrize("argv", [[], ["tasks"], ["nope"], ["tasks", "nope"]])
def test_missing_or_unknown_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """No command or an unknown one is a usage error with a usage line."""
    assert cli.main(argv) == cli.EXIT_USAGE
    assert "usage: inductiva" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--help"], ["tasks", "--help"], *(["tasks", c, "--help"] for c in COMMANDS)]
)
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """--help works for the program, the group and every command, exiting 0."""
    assert cli.main(argv) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("usage: inductiva")
    assert "exit codes" in out or "COMMAND" in out


def test_exit_code_mapping() -> None:
    """Each error family maps to its documented exit code."""
    assert cli._exit_code(inductiva.errors.AuthenticationError("x", status_code=401)) == 4
    assert cli._exit_code(inductiva.errors.InvalidArgumentError("x")) == 2
    assert cli._exit_code(inductiva.errors.ConfigurationError("x")) == 2
    assert cli._exit_code(inductiva.errors.TaskTimeoutError("x")) == 3
    assert cli._exit_code(inductiva.errors.NotFoundError("x", status_code=404)) == 1
    assert cli._exit_code(inductiva.errors.ApiConnectionError("x")) == 1


def test_status_choices_match_the_api() -> None:
    """--status accepts exactly the statuses of the API's TaskStatusCode enum."""
    from inductiva_api.models import TaskStatusCode

    parser = cli.build_parser()
    tasks = next(a for a in parser._subparsers._group_actions if a.dest).choices["tasks"]  # type: ignore[union-attr]
    listing = next(a for a in tasks._subparsers._group_actions if a.dest).choices["list"]
    (status,) = [a for a in listing._actions if "--status" in a.option_strings]
    assert sorted(status.choices) == sorted(s.value for s in TaskStatusCode)


def test_cli_is_one_subpackage() -> None:
    """The CLI is the `inductiva.cli` subpackage (its renderer is `inductiva._render`, below it)."""
    import importlib.util
    import subprocess
    import sys

    assert cli.__path__  # a package
    for old in ("_cli_commands", "_cli_render", "_cli_exit"):
        assert importlib.util.find_spec(f"inductiva.{old}") is None
    for module in ("_commands", "_exit", "_json", "_messages"):
        assert importlib.util.find_spec(f"inductiva.cli.{module}") is not None
    assert importlib.util.find_spec("inductiva.cli._render") is None
    assert importlib.util.find_spec("inductiva._render") is not None
    out = subprocess.run(
        [sys.executable, "-m", "inductiva", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("inductiva ")
