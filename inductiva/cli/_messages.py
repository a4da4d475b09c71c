"""Error messages in the command line's words: flags and commands, never Python calls.

The library's exceptions give Python advice (``call wait() again``,
``task.get_output_files_info()``, ``inductiva.api_key = ...``). :func:`cli_message`
turns an exception into one line that says what went wrong once and what to
run instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from inductiva import errors

__all__ = ["ENV_SOURCES", "cli_message"]

_KEY_HINT = "set INDUCTIVA_API_KEY or pass --api-key KEY"
ENV_SOURCES = {"api_url": "INDUCTIVA_API_URL", "api_key": "INDUCTIVA_API_KEY"}
"""Where a setting comes from when no flag gave it (the CLI passes its own when one did)."""

# The command line's advice for an error about a setting ({source}: the flag or variable used).
_ADVICE = {
    "api_url": "Check {source}: it must be the API's root URL, e.g. https://api.inductiva.ai.",
    "api_key": "Check {source}: copy the key again from your Inductiva account.",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _key_source(source: str) -> str:
    return "given with --api-key" if source.startswith("--") else f"in {source}"


def _auth(exc: errors.AuthenticationError, source: str) -> str:
    if not exc.method:  # raised before any request: there is no key at all
        return f"no API key: {_KEY_HINT}"
    host = urlsplit(exc.url).netloc or exc.url
    return (
        f"the API at {host} rejected the API key {_key_source(source)}: check it, or pass "
        "another with --api-key KEY"
    )


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


def _rewritten(text: str, task: str) -> str:
    for pattern, replacement in _REWRITES:
        # The id is text, never part of a regex template (``\1`` in it is no group).
        text = re.sub(pattern, replacement.replace("{id}", task.replace("\\", "\\\\")), text)
    return text


def cli_message(
    exc: BaseException,
    *,
    task_id: str | None = None,
    timeout: float | None = None,
    sources: Mapping[str, str] | None = None,
    again: str | None = None,
) -> str:
    """One line for ``exc`` in command-line terms.

    ``task_id``/``timeout`` come from the command; ``sources`` names where each
    setting came from (``{"api_url": "--api-url"}``; by default the environment
    variables), so the advice names what the user actually used; ``again`` is the
    exact command that resumes a download the error left on disk.
    """
    where = {**ENV_SOURCES, **(sources or {})}
    if isinstance(exc, errors.AuthenticationError):
        return _auth(exc, where["api_key"])
    if isinstance(exc, errors.TaskTimeoutError) and exc.task_id:
        return _timeout(exc, timeout)
    task = task_id or getattr(exc, "task_id", None) or "ID"
    if not isinstance(exc, errors.InductivaError) or exc.problem is None:
        return _rewritten(_one_line(str(exc)) or type(exc).__name__, task)
    parts = [_rewritten(_one_line(exc.problem), task)]
    advice = _ADVICE.get(exc.setting or "")
    if advice is not None:
        parts.append(advice.format(source=where.get(exc.setting or "", exc.setting)))
    if exc.kept is not None and again is not None:
        parts.append(f"What was downloaded is kept ({exc.kept}): run `{again}` to resume.")
    elif exc.kept is not None:
        parts.append(f"What was downloaded is kept ({exc.kept}): run the same command again.")
    return " ".join(parts)
