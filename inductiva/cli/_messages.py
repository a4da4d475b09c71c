"""Error messages in the command line's words: flags and commands, never Python calls.

The library's exceptions give Python advice (``call wait() again``,
``task.get_output_files_info()``, ``inductiva.api_key = ...``). :func:`cli_message`
turns an exception into one line that says what went wrong once and what to
run instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from inductiva import errors

__all__ = ["cli_message"]

_KEY_HINT = "set INDUCTIVA_API_KEY or pass --api-key KEY"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _auth(exc: errors.AuthenticationError) -> str:
    if not exc.method:  # raised before any request: there is no key at all
        return f"no API key: {_KEY_HINT}"
    host = urlsplit(exc.url).netloc or exc.url
    return f"the API at {host} rejected the API key: {_KEY_HINT}"


def _timeout(exc: errors.TaskTimeoutError, timeout: float | None) -> str:
    seconds = f" after {timeout:g} s" if timeout is not None else ""
    task_id = exc.task_id
    return (
        f"task {task_id} is still {exc.status!r}{seconds}; run "
        f"`inductiva tasks wait {task_id} --timeout N` again with a larger N, or stop it with "
        f"`inductiva tasks kill {task_id}`"
    )


# Python advice in library messages -> the command line's equivalent ({id}: the task id).
_REWRITES: tuple[tuple[str, str], ...] = (
    (
        r"list them with task\.get_output_files_info\(\)",
        "list them with `inductiva tasks files {id}`",
    ),
    (
        r"check later with task\.get_status\(\) or kill\(wait_timeout=\.\.\.\) again",
        "check later with `inductiva tasks info {id}` or run `inductiva tasks kill {id}` again",
    ),
    (r"see inductiva\.tasks\.list\(\)", "see `inductiva tasks list`"),
    (r"resumes on the next call", "resumes when you run the same command again"),
    (r"raise `inductiva\.max_retries`", "raise INDUCTIVA_MAX_RETRIES"),
    (r"\bcall again\b", "run the same command again"),
    (r"\bchoose another output_dir\b", "choose another --dir"),
    (r"\(or choose another output_dir\)", "(or choose another --dir)"),
    (
        r"raise inductiva\.max_extract_size \(INDUCTIVA_MAX_EXTRACT_SIZE\)",
        "raise INDUCTIVA_MAX_EXTRACT_SIZE",
    ),
    (
        r"raise inductiva\.max_compression_ratio \(INDUCTIVA_MAX_COMPRESSION_RATIO\)",
        "raise INDUCTIVA_MAX_COMPRESSION_RATIO",
    ),
    (r"download with uncompress=False", "download with --no-uncompress"),
    (
        r"filenames=\.\.\. cannot be combined with uncompress=False: .*",
        "--filenames cannot be combined with --no-uncompress: selected files are always extracted",
    ),
)


def cli_message(
    exc: BaseException, *, task_id: str | None = None, timeout: float | None = None
) -> str:
    """One line for ``exc`` in command-line terms (``task_id``/``timeout`` from the command)."""
    if isinstance(exc, errors.AuthenticationError):
        return _auth(exc)
    if isinstance(exc, errors.TaskTimeoutError) and exc.task_id:
        return _timeout(exc, timeout)
    text = _one_line(str(exc)) or type(exc).__name__
    task = task_id or getattr(exc, "task_id", None) or "ID"
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement.replace("{id}", task), text)
    return text
