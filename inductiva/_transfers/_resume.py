"""Resumable full-archive downloads into a ``.part`` file, verified as they stream.

``GET /tasks/{id}/output`` is written to ``<dest>.part`` with a sidecar
``<dest>.part.json`` recording the archive's ETag and size. A dropped
connection resumes with ``Range: bytes=<have>-`` and ``If-Range: <etag>``
(a 200 answer means the archive changed: start over), within the call up to
``inductiva.max_retries`` times and in a later call. When the central
directory could be read first, a :class:`~inductiva._transfers._zipstream.StreamVerifier`
checks every member's CRC-32 inline as the bytes arrive, so
no second pass over the file is needed.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import attrs
import httpx

from .._http import _wire
from .. import _client, _retry, errors
from . import _limits, _remote_zip, _zipstream
from ._progress import byte_bar

__all__ = ["ArchiveFetch", "discard", "read_directory"]

logger = logging.getLogger("inductiva")


class _Writer:
    """Writes chunks to ``fh`` and hands them to the stream verifier, in a second thread.

    Receiving (socket reads, HTTP parsing) and writing plus CRC-32 (both release
    the GIL on large buffers) then overlap on two cores instead of taking turns.
    At most :data:`_QUEUED` chunks (up to 1 MiB each) wait between them, so memory
    stays flat. A failure of the writing side (disk full, corruption found by the
    verifier) is raised by the next :meth:`put` or by :meth:`close`.
    """

    def __init__(self, fh: IO[bytes], verifier: _zipstream.StreamVerifier | None) -> None:
        self._fh, self._verifier = fh, verifier
        self.written = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(_QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="inductiva-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep draining so put() never blocks forever
            try:
                self._fh.write(chunk)
                if self._verifier is not None:
                    self._verifier.feed(chunk)
            except BaseException as exc:
                self._error = exc

    def put(self, chunk: bytes) -> None:
        """Queue ``chunk`` (raises if the writing side already failed)."""
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)
        self.written += len(chunk)

    def close(self) -> None:
        """Wait until every queued chunk is written; raise the writing side's failure."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


_QUEUED = 3


@attrs.frozen
class _ResumeState:
    """What the sidecar file remembers about a ``.part`` file."""

    task_id: str
    etag: str | None
    size: int | None


def _sidecar(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _load_state(part: Path, task_id: str) -> tuple[int, str | None, int | None]:
    """``(bytes_held, etag, total)`` of a resumable ``.part``, or zeros to start afresh."""
    try:
        raw = json.loads(_sidecar(part).read_text())
        state = _ResumeState(str(raw["task_id"]), raw.get("etag"), raw.get("size"))
        have = part.stat().st_size
    except (OSError, ValueError, KeyError, TypeError):
        return 0, None, None
    if state.task_id != task_id or not state.etag:
        return 0, None, None
    return have, state.etag, state.size


def _save_state(part: Path, state: _ResumeState) -> None:
    _sidecar(part).write_text(json.dumps(attrs.asdict(state)))


def discard(part: Path) -> None:
    """Remove ``part`` and its sidecars (single stream, and parallel ranges)."""
    part.unlink(missing_ok=True)
    _sidecar(part).unlink(missing_ok=True)
    part.with_name(part.name + ".ranges.json").unlink(missing_ok=True)


class ArchiveFetch:
    """One full download into ``part``: resumable, verified as it streams when possible."""

    def __init__(
        self,
        task_id: str,
        part: Path,
        remote: _remote_zip.RemoteZip | None,
        take_over: Callable[[str, Path, httpx.Response, int], tuple[bytes, Iterator[bytes]] | None]
        | None = None,
    ) -> None:
        self.task_id, self.part, self.remote = task_id, part, remote
        # Offered a fresh whole-archive answer first (parallel ranges): None when it
        # fetched the archive, else what it read and the rest, to write as one stream.
        self.take_over = take_over
        self.taken = False
        self.verifier: _zipstream.StreamVerifier | None = None
        self.fed = 0

    def _stop_verifying(self) -> None:
        if self.verifier is not None:
            self.verifier.abandon()
        self.verifier, self.remote = None, None

    def _prepare(self, have: int, etag: str | None) -> tuple[int, str | None]:
        """Align the resume point with the archive version and the stream verifier."""
        if self.remote is not None and etag and etag != self.remote.etag:
            discard(self.part)  # an older archive's bytes: start over
            have, etag = 0, None
        if self.verifier is not None and have != self.fed:
            self._stop_verifying()
        if self.remote is not None and self.verifier is None:
            self.verifier = _zipstream.StreamVerifier(self.remote.members, self.part, have)
            self.fed = have
        return have, etag or (self.remote.etag if self.remote else None)

    def request_headers(self, have: int, etag: str | None) -> dict[str, str]:
        """The headers continuing ``part`` from ``have`` bytes of the archive ``etag``."""
        return {"Range": f"bytes={have}-", "If-Range": etag} if etag else {}

    def begin(self, response: httpx.Response, have: int) -> tuple[int, int]:
        """Check the answer to a (resume) request and prepare ``part``: ``(have, total)``.

        ``total`` is -1 when the size is unknown. Checks the free space and records
        the archive's ETag and size in the sidecar before any byte is written.
        """
        have, total = self.answer(response, have)
        self.start_part(response, have, total)
        return have, total

    def answer(self, response: httpx.Response, have: int) -> tuple[int, int]:
        """Check the answer to a (resume) request: ``(have, total)``, -1 for an unknown size."""
        if response.status_code == 206:
            first, _last, total = _remote_zip.parse_content_range(
                response.headers.get("Content-Range")
            )
            if first != have:
                raise errors.TransferError(f"Asked to resume at byte {have}, got {first}.")
        else:
            if have or self.verifier is not None:
                logger.info("Output archive of task %s changed; fetching it anew", self.task_id)
                self._stop_verifying()
            have = 0
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() and len(length) < 17 else -1
        return have, total

    def start_part(self, response: httpx.Response, have: int, total: int) -> None:
        """Check the free space, start ``part`` afresh or not, record the sidecar."""
        known = total if total >= 0 else None
        if known is not None:
            _limits.check_free_space(
                self.part.parent, known - have, "Downloading the output archive"
            )
        if not have:
            # a fresh file, not a truncated one: ext4 flushes files truncated to 0 on close
            self.part.unlink(missing_ok=True)
        _save_state(self.part, _ResumeState(self.task_id, response.headers.get("ETag"), known))

    def open_part(self, have: int) -> IO[bytes]:
        """``part`` opened for writing at byte ``have`` (a new file when 0)."""
        fh = self.part.open("r+b" if have else "wb")
        if have:
            fh.truncate(have)
            fh.seek(have)
        return fh

    def check_size(self, total: int) -> None:
        """IntegrityError unless ``part`` holds ``total`` bytes (when known)."""
        size = self.part.stat().st_size
        if total >= 0 and size != total:
            raise errors.IntegrityError(f"Downloaded {size} bytes of a {total}-byte archive.")

    def fetch_once(self, have: int, etag: str | None) -> None:
        """One request continuing ``part`` from ``have`` bytes."""
        path = _remote_zip.output_path(self.task_id)
        with _client.stream("GET", path, headers=self.request_headers(have, etag)) as response:
            have, total = self.answer(response, have)
            known = total if total >= 0 else None
            body: Iterator[bytes] | None = None
            if have == 0 and known is not None and self.take_over is not None:
                handed = self.take_over(self.task_id, self.part, response, known)
                if handed is None:
                    self.taken = True
                    return
                body = itertools.chain([handed[0]], handed[1]) if handed[0] else handed[1]
            self.start_part(response, have, total)
            with (
                self.open_part(have) as fh,
                byte_bar(known, desc="Downloading", initial=have) as bar,
            ):
                writer = _Writer(fh, self.verifier)
                try:
                    for chunk in body if body is not None else _wire.iter_body(response):
                        writer.put(chunk)
                        bar.update(len(chunk))
                finally:
                    try:
                        writer.close()
                    finally:
                        self.fed += writer.written
        self.check_size(total)

    def prepare(self) -> tuple[int, str | None, int | None]:
        """``(have, etag, known_size)`` to start the next attempt from."""
        have, etag, known_size = _load_state(self.part, self.task_id)
        have, etag = self._prepare(have, etag)
        return have, etag, known_size

    def unsatisfiable(self, have: int, known_size: int | None) -> bool:
        """After a 416: True if ``part`` is already whole; else start over (False)."""
        if have and have == known_size:
            return True  # the .part was already complete and the archive is unchanged
        discard(self.part)
        self._stop_verifying()
        return False

    def finish(self) -> bool:
        """True if the archive was verified on the fly (the verifier checks its end)."""
        if self.verifier is None or self.taken:
            self._stop_verifying()
            return False
        self.verifier.close()
        return True

    def run(self) -> bool:
        """Fetch the whole archive, resuming after drops; True if it was verified on the fly."""
        settings = _client.resolve_settings()
        attempts = settings.max_retries + 1
        try:
            for attempt in range(1, attempts + 1):
                mark = _retry.budget_mark()
                have, etag, known_size = self.prepare()
                try:
                    self.fetch_once(have, etag)
                    break
                except errors.RangeNotSatisfiableError:
                    if self.unsatisfiable(have, known_size):
                        break
                    if attempt == attempts:
                        raise
                except errors.ApiConnectionError as exc:
                    wait = _retry.resume_delay(settings.retry_policy, attempt, mark, exc)
                    if wait is None:
                        raise
                    logger.info(
                        "Download of task %s interrupted; resuming in %.2fs", self.task_id, wait
                    )
                    time.sleep(wait)
        except BaseException:
            self._stop_verifying()
            raise
        return self.finish()


def read_directory(task_id: str) -> _remote_zip.RemoteZip | None:
    """The archive's central directory, or None if it cannot be read ahead."""
    try:
        return _remote_zip.open_remote_zip(task_id)
    except errors.TransferError as exc:
        logger.debug("No streaming verification for task %s: %s", task_id, exc)
        return None
