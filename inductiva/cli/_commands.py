"""What each ``inductiva tasks ...`` command does, using only the public library API.

Each command prints its result on stdout and returns an exit code; errors are
raised as :mod:`inductiva.errors` exceptions and turned into a one-line message
and an exit code by :func:`inductiva.cli.main`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence

from inductiva import errors, tasks
from inductiva._redact import redact_url
from inductiva._render import render_task_info
from inductiva._signals import Terminated
from inductiva._validate import printable
from inductiva.cli._exit import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
)
from inductiva.cli._json import dumps, output_info_json, task_json
from inductiva.cli._messages import ENV_SOURCES, cli_message
from inductiva.task import Task

__all__ = ["COMMANDS", "ask_confirmation", "download_command", "run", "sources"]

SUCCESS = "success"


def _error(message: str) -> None:
    print(f"inductiva: error: {printable(message)}", file=sys.stderr)


def _say(text: object) -> None:
    """Print ``text`` (server-supplied strings included) with control characters escaped."""
    print("\n".join(printable(line) for line in str(text).split("\n")))


def ask_confirmation(question: str) -> bool | None:
    """Ask ``question [y/N]`` on stderr and read stdin: True/False, or None if no answer."""
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin is None or sys.stdin.closed:
        print(file=sys.stderr)
        return None
    line = sys.stdin.readline()
    if not sys.stdin.isatty():  # the answer was not echoed: end the prompt's line
        print(file=sys.stderr)
    if not line:  # end of input: nobody is there to answer
        return None
    return line.strip().lower() in ("y", "yes")


def cmd_list(args: argparse.Namespace) -> int:
    """``tasks list``: the table of the most recent tasks (``--json``: one line per task)."""
    found = tasks.get(args.last_n, status=args.status)
    if args.json:
        for task in found:
            _say(dumps(task_json(task.info if task.info is not None else task.get_info())))
    else:
        print(tasks.render(found))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    """``tasks info``: one task's details (``--json``: its fields, ``fields``: all it sent)."""
    info = Task(args.task_id).get_info()
    if args.json:
        _say(dumps({**task_json(info), "fields": info.fields()}))
    else:
        _say(render_task_info(info))
    return EXIT_OK


def _kill_question(ids: Sequence[str]) -> str:
    if len(ids) == 1:
        return f"Kill task {ids[0]}?"
    return f"Kill {len(ids)} tasks ({', '.join(ids)})?"


def cmd_kill(args: argparse.Namespace) -> int:
    """``tasks kill``: kill each task after confirmation; go on past per-task errors."""
    ids = list(dict.fromkeys(args.task_ids))
    targets = [Task(task_id) for task_id in ids]  # bad ids fail before asking anything
    if not args.yes:
        answer = ask_confirmation(_kill_question(ids))
        if answer is None:
            _error("no confirmation: stdin gave no answer; pass --yes to kill without asking")
            return EXIT_USAGE
        if not answer:
            _error("not confirmed; no task was killed")
            return EXIT_ERROR
    code = EXIT_OK
    for task in targets:
        try:
            status = task.kill()
        except errors.AuthenticationError:
            raise  # every other task would fail the same way
        except errors.InductivaError as exc:
            message = cli_message(exc, task_id=task.id, sources=sources(args))
            _error(message if task.id in message else f"task {task.id}: {message}")
            if args.json:
                _say(dumps({"id": task.id, "status": None, "error": message}))
            code = EXIT_ERROR
        else:
            _say(dumps({"id": task.id, "status": status}) if args.json else f"{task.id}: {status}")
    return code


def sources(args: argparse.Namespace) -> dict[str, str]:
    """Where the API URL and key come from: the flag if given, else the environment."""
    given = {"api_url": "--api-url", "api_key": "--api-key"}
    return {
        name: flag if getattr(args, name, None) is not None else ENV_SOURCES[name]
        for name, flag in given.items()
    }


def download_command(args: argparse.Namespace) -> str:
    """The exact ``inductiva tasks download ...`` line that repeats (and resumes) ``args``'s."""
    words = ["inductiva", "tasks", "download", args.task_id]
    if args.filenames:
        words += ["--filenames", *args.filenames]
    if args.output_dir is not None:
        words += ["--dir", args.output_dir]
    if not args.uncompress:
        words.append("--no-uncompress")
    if args.json:
        words.append("--json")
    if getattr(args, "api_url", None) is not None:
        words += ["--api-url", redact_url(args.api_url)]
    line = shlex.join(words)
    if getattr(args, "api_key", None) is not None:
        line += " --api-key KEY"  # never the key itself
    return printable(line)


def cmd_wait(args: argparse.Namespace) -> int:
    """``tasks wait``: block until the task finishes; exit 0 only on success."""
    task = Task(args.task_id)
    try:
        status = str(task.wait(timeout=args.timeout))
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        _error(
            f"{how}; task {task.id} keeps running (stop it with `inductiva tasks kill {task.id}`)"
        )
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    _say(dumps({"id": task.id, "status": status}) if args.json else status)
    return EXIT_OK if status == SUCCESS else EXIT_ERROR


def cmd_download(args: argparse.Namespace) -> int:
    """``tasks download``: fetch the outputs and print the directory holding them."""
    try:
        output_dir = Task(args.task_id).download_outputs(
            filenames=args.filenames, output_dir=args.output_dir, uncompress=args.uncompress
        )
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        _error(
            f"{how}; what was downloaded so far is kept: run `{download_command(args)}` to resume"
        )
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    resolved = str(output_dir.resolve())
    _say(dumps({"id": args.task_id, "output_dir": resolved}) if args.json else resolved)
    return EXIT_OK


def cmd_files(args: argparse.Namespace) -> int:
    """``tasks files``: the output archive's table of contents."""
    info = Task(args.task_id).get_output_files_info()
    _say(dumps(output_info_json(args.task_id, info)) if args.json else info)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": cmd_list,
    "info": cmd_info,
    "kill": cmd_kill,
    "wait": cmd_wait,
    "download": cmd_download,
    "files": cmd_files,
}


def run(args: argparse.Namespace) -> int:
    """Run the command ``args`` names; return its exit code."""
    return COMMANDS[args.command](args)
