"""The ``inductiva`` command line: manage your tasks from the shell.

::

    inductiva [--api-key KEY] [--api-url URL] [-v] tasks list [-n N] [--status S]
    inductiva tasks info ID
    inductiva tasks kill ID [ID ...] [--yes]
    inductiva tasks wait ID [--timeout SECONDS]
    inductiva tasks download ID [--filenames F [F ...]] [--dir DIR] [--no-uncompress]
    inductiva tasks files ID

Every ``tasks`` command takes ``--json``: one JSON document on stdout (JSON
lines, one object per task, for ``list`` and ``kill``); see :mod:`inductiva.cli._json`.

This module builds the parser and maps outcomes to exit codes; the commands
themselves live in :mod:`inductiva.cli._commands`. Exit codes:

====  ==================================================================
0     success
1     the API or the task reported an error (e.g. unknown task id),
      ``wait`` saw the task end without success, or a kill was declined
2     usage error: a bad option or argument, a bad setting, or
      ``kill`` without ``--yes`` and no answer on stdin
3     ``wait --timeout`` ran out before the task finished
4     authentication: the API key is missing or invalid
130   interrupted (Ctrl-C)
143   terminated (SIGTERM), after the same cleanup as Ctrl-C
====  ==================================================================

Errors print one line, ``inductiva: error: <message>``, on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import inductiva
from inductiva import _signals, errors
from inductiva._http._install import check_installation
from inductiva._task_info import ALL_STATUSES
from inductiva._validate import printable
from inductiva.cli import _exit
from inductiva.cli._exit import *  # noqa: F403  (the exit codes are part of this package)
from inductiva.cli._messages import cli_message

__all__ = [*_exit.__all__, "build_parser", "main"]

PROG = "inductiva"
N = TypeVar("N", int, float)
_EPILOG = """\
exit codes: 0 ok, 1 API or task error, 2 usage error, 3 wait timed out,
4 missing or invalid API key, 130 interrupted, 143 terminated (SIGTERM).
Settings: --api-key/--api-url override INDUCTIVA_API_KEY/INDUCTIVA_API_URL."""


def _global_options(*, suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command (``suppress`` for the latter)."""
    parent = argparse.ArgumentParser(add_help=False)
    default: object = argparse.SUPPRESS if suppress else None
    parent.add_argument(
        "--api-key",
        metavar="KEY",
        default=default,
        help="API key (overrides INDUCTIVA_API_KEY)",
    )
    parent.add_argument(
        "--api-url",
        metavar="URL",
        default=default,
        help="API base URL (overrides INDUCTIVA_API_URL)",
    )
    parent.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS if suppress else 0,
        help="log to stderr (-v: info, -vv: debug including HTTP requests)",
    )
    return parent


def _positive(kind: Callable[[str], N], wanted: str) -> Callable[[str], N]:
    """An argparse ``type``: ``kind(text)`` if it is a finite number > 0, else a usage error."""

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not 0 < float(value) < float("inf"):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


_positive_int = _positive(int, "a whole number >= 1")
_positive_seconds = _positive(float, "seconds > 0")


def _add_task_commands(tasks: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = _global_options(suppress=True)

    def command(
        name: str, help_text: str, description: str, *, one_task: bool = False
    ) -> argparse.ArgumentParser:
        """A ``tasks`` subcommand (``one_task``: it takes one task ID)."""
        parser = tasks.add_parser(
            name,
            help=help_text,
            description=description,
            parents=[common],
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.set_defaults(command=name)
        parser.add_argument(
            "--json",
            action="store_true",
            help="print JSON for scripts: one document (JSON lines for list and kill)",
        )
        if one_task:
            parser.add_argument("task_id", metavar="ID", help="the task id")
        return parser

    listing = command(
        "list",
        "print a table of your most recent tasks",
        "Print your most recent tasks, newest first, as a table "
        "(the same table as inductiva.tasks.list).",
    )
    listing.add_argument(
        "-n",
        "--last-n",
        type=_positive_int,
        default=10,
        metavar="N",
        help="how many tasks to show (default: 10)",
    )
    listing.add_argument(
        "--status",
        choices=ALL_STATUSES,
        metavar="STATUS",
        help="only tasks with this status; one of: " + ", ".join(ALL_STATUSES),
    )

    command(
        "info",
        "show one task's details",
        "Show a task's status, simulator, times, duration and machine (type, CPUs, memory).",
        one_task=True,
    )

    kill = command(
        "kill",
        "kill tasks that have not finished",
        "Kill one or more tasks. Asks for confirmation on stdin unless --yes is given; "
        "refuses if stdin gives no answer.",
    )
    kill.add_argument("task_ids", metavar="ID", nargs="+", help="task ids to kill")
    kill.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    wait = command(
        "wait",
        "wait for a task to finish and print its final status",
        "Block until the task finishes, then print its final status. Exit 0 on success, "
        "1 if it ended otherwise (e.g. failed, killed), 3 on timeout. "
        "Ctrl-C stops waiting; it does not kill the task.",
        one_task=True,
    )
    wait.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="give up after this many seconds (default: wait forever)",
    )

    download = command(
        "download",
        "download a task's outputs and print where they are",
        "Download a task's output archive (or only some files) and print the output directory.",
        one_task=True,
    )
    download.add_argument(
        "--filenames",
        nargs="+",
        metavar="F",
        help="only these files of the archive (see `inductiva tasks files ID`)",
    )
    download.add_argument(
        "--dir",
        dest="output_dir",
        metavar="DIR",
        help="where to put the outputs (default: the library's default output directory)",
    )
    download.add_argument(
        "--no-uncompress",
        dest="uncompress",
        action="store_false",
        help="keep the downloaded zip archive instead of extracting it",
    )

    command(
        "files",
        "list the files in a task's output archive",
        "Print the output archive's size and each file's size, compressed size and name.",
        one_task=True,
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``inductiva`` argument parser (subcommands: ``tasks list|info|kill|wait|...``)."""
    shown: dict[str, Any] = {  # every level shows the exit codes and settings
        "epilog": _EPILOG,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Manage your Inductiva simulation tasks from the shell.",
        parents=[_global_options(suppress=False)],
        **shown,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {inductiva.__version__}")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    tasks_parser = groups.add_parser(
        "tasks",
        help="list, inspect, kill, wait for and download tasks",
        description="List, inspect, kill, wait for and download your tasks.",
        parents=[_global_options(suppress=True)],
        **shown,
    )
    tasks = tasks_parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_task_commands(tasks)
    return parser


@contextlib.contextmanager
def _logging_to_stderr(verbosity: int) -> Iterator[None]:
    """-v: the client's info logs on stderr; -vv: its debug logs and each HTTP request.

    Handlers and levels are restored on exit, so ``main()`` leaves logging as it found it.
    """
    if verbosity <= 0:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    levels = {"inductiva": logging.DEBUG if verbosity > 1 else logging.INFO}
    if verbosity > 1:
        levels.update(httpx=logging.INFO)
    previous = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in previous.items():
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def _settings(api_key: str | None, api_url: str | None) -> Iterator[None]:
    """--api-key/--api-url as ``inductiva.api_key``/``api_url`` (they beat the environment).

    The previous values come back on exit, so ``main()`` can be called in-process.
    """
    previous = (inductiva.api_key, inductiva.api_url)
    if api_key is not None:
        inductiva.api_key = api_key
    if api_url is not None:
        inductiva.api_url = api_url
    try:
        yield
    finally:
        inductiva.api_key, inductiva.api_url = previous


def _fail(message: str, code: int) -> int:
    text = printable(message)
    with contextlib.suppress(OSError, ValueError):
        print(f"{PROG}: error: {text}", file=sys.stderr)
    return code


def _exit_code(exc: errors.InductivaError) -> int:
    if isinstance(exc, errors.AuthenticationError):
        return _exit.EXIT_AUTH
    if isinstance(exc, errors.ConfigurationError | errors.InvalidArgumentError):
        return _exit.EXIT_USAGE
    if isinstance(exc, errors.TaskTimeoutError):
        return _exit.EXIT_TIMEOUT
    return _exit.EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else _exit.EXIT_USAGE
    # Imported here so that --help and --version stay instant.
    from inductiva.cli import _commands as _cli_commands

    try:
        with (
            _signals.sigterm_as_interrupt(),
            _logging_to_stderr(args.verbose),
            _settings(args.api_key, args.api_url),
        ):
            check_installation()  # before a command asks anything (kill's confirmation)
            return _cli_commands.run(args)
    except errors.InductivaError as exc:
        message = cli_message(
            exc,
            task_id=getattr(args, "task_id", None),
            timeout=getattr(args, "timeout", None),
            sources=_cli_commands.sources(args),
            again=_cli_commands.download_command(args) if args.command == "download" else None,
        )
        return _fail(message, _exit_code(exc))
    except _signals.Terminated:
        return _fail("terminated (SIGTERM); partial downloads are kept", _exit.EXIT_TERMINATED)
    except KeyboardInterrupt:
        return _fail("interrupted", _exit.EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without a second error at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _exit.EXIT_ERROR
    except OSError as exc:  # a local file problem not met inside the transfer engine
        return _fail(f"{exc.strerror or exc} ({exc.filename or 'local file'})", _exit.EXIT_ERROR)
    except Exception as exc:  # a bug: still one line, never a traceback
        logging.getLogger("inductiva").debug("unexpected error", exc_info=True)
        return _fail(
            f"unexpected {type(exc).__name__}: {cli_message(exc)} (please report this; "
            "-vv shows details)",
            _exit.EXIT_ERROR,
        )
