"""The whole archive into ``output.zip.part``: resumable, bounded, verified as it streams.

:func:`fetch_archive` is one flow for every mode. It reads what the ``.part``
already holds (:mod:`._part`, the one resume model) and continues from there:

* recorded ranges (an earlier parallel download) are continued as ranges
  (:func:`._parallel.fetch_ranges`), whatever the mode of this call;
* otherwise one stream: ``GET /tasks/{id}/output``, with
  ``Range: bytes=<have>-`` and ``If-Range: <etag>`` when bytes are held (a 200
  answer means the archive changed: it is written from byte 0). A large
  answer on a slow connection has its rest split into ranges
  (:func:`._parallel.maybe_split`).

A dropped connection resumes within the call's retry budget (and in a later
call, from the sidecar). When the central directory was read first (a kept
zip, on a server with byte ranges), a
:class:`~inductiva._transfers._zipstream.StreamVerifier` checks every member's
CRC-32 while the bytes arrive, so no second pass is needed. The bytes are
written and verified in a worker thread (:class:`~._pipe.ChunkPipe`).

Bounds: a body longer than the archive its answer declares
(``Content-Range``, ``Content-Length``; without either, the ``size`` of
``GET .../output/list``) is an :class:`~inductiva.errors.IntegrityError`, and
nothing of it is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .. import _capabilities, errors
from .._http._flow import Flow, Stream, close, offload, open_stream, read, session, sleep
from .._http._retry import budget_mark, resume_delay
from .._http._settings import Settings
from . import _limits, _listing, _output, _parallel, _part, _remote_zip, _zipstream
from ._directory import read_directory
from ._output import output_request
from ._part import PartState
from ._pipe import ChunkPipe
from ._progress import byte_bar
from ._ranges import Changed

__all__ = ["BYTE_RANGES", "ArchiveWriter", "fetch_archive"]

logger = logging.getLogger("inductiva")

BYTE_RANGES = _output.BYTE_RANGES


class ArchiveWriter:
    """Writes the chunks of a stream to ``fh``, feeding the stream verifier (worker thread)."""

    def __init__(self, fh: IO[bytes], verifier: _zipstream.StreamVerifier | None) -> None:
        self.fh, self.verifier = fh, verifier
        self.written = 0

    def write(self, chunk: bytes) -> None:
        """Write and check one chunk."""
        self.fh.write(chunk)
        if self.verifier is not None:
            self.verifier.feed(chunk)
        self.written += len(chunk)

    def __call__(self, chunks: Iterator[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)


def _length(stream: Stream) -> int | None:
    length = stream.headers.get("Content-Length", "")
    return int(length) if length.isdigit() and len(length) < 17 else None


class _Fetch:
    """One whole-archive download into ``part``: what its attempts share."""

    def __init__(self, task_id: str, part: Path, settings: Settings) -> None:
        self.task_id, self.part, self.settings = task_id, part, settings
        self.remote: _remote_zip.RemoteZip | None = None
        self.verifier: _zipstream.StreamVerifier | None = None
        self.fed = 0  # bytes the verifier has seen
        self.split = True  # False once the archive changed under ranges

    def stop_verifying(self) -> None:
        if self.verifier is not None:
            self.verifier.abandon()
        self.verifier, self.remote = None, None

    def _align(self) -> Flow[PartState | None]:
        """The state to continue from, with the stream verifier matching it."""
        state = _part.load(self.part, self.task_id)
        if state is not None and self.remote is not None and state.etag != self.remote.etag:
            _part.discard(self.part)  # an older archive's bytes: start over
            state = None
        if state is not None and state.segments is not None:
            self.stop_verifying()  # ranges are verified as a whole afterwards
            return state
        have = state.held_prefix if state is not None else 0
        if self.verifier is not None and have != self.fed:
            self.stop_verifying()
        remote = self.remote
        if remote is not None and self.verifier is None:
            self.verifier = yield from offload(
                lambda: _zipstream.StreamVerifier(remote.members, self.part, have)
            )
            self.fed = have
        return state

    def _answer(self, stream: Stream, state: PartState | None) -> tuple[int, int | None]:
        """Check the answer to a (resume) request: ``(have, total)``, None for an unknown size."""
        have = state.held_prefix if state is not None else 0
        if stream.status_code == 206:
            first, _last, total = _remote_zip.parse_content_range(
                stream.headers.get("Content-Range")
            )
            if first != have:
                raise errors.TransferError(f"Asked to resume at byte {have}, got {first}.")
            if state is not None and state.size is not None and total != state.size:
                raise errors.IntegrityError(
                    f"The archive is {total} bytes now but was {state.size} with the same ETag."
                )
            return have, total
        if have or self.verifier is not None:
            changed = self.remote is None or stream.headers.get("ETag") != self.remote.etag
            if have or changed:
                logger.info("Output archive of task %s changed; fetching it anew", self.task_id)
                self.stop_verifying()
        return 0, _length(stream)

    def _start_part(
        self, stream: Stream, have: int, total: int | None, state: PartState | None
    ) -> IO[bytes]:
        """Check the free space, record the sidecar, open ``part`` at ``have``."""
        if total is not None:
            _limits.check_free_space(self.part.parent, total - have, "Downloading the archive")
        if not have:
            # a fresh file, not a truncated one: ext4 flushes files truncated to 0 on close
            self.part.unlink(missing_ok=True)
        etag = stream.headers.get("ETag") or (state.etag if have and state else None)
        _part.save(self.part, PartState(self.task_id, etag, total, None, have))
        fh = self.part.open("r+b" if have else "wb")
        if have:
            fh.truncate(have)
            fh.seek(have)
        return fh

    def _write(
        self, stream: Stream, fh: IO[bytes], have: int, total: int | None, bound: int, first: bytes
    ) -> Flow[None]:
        """Write ``first`` and the rest of ``stream`` after ``have`` bytes, at most ``bound``."""
        writer = ArchiveWriter(fh, self.verifier)
        pipe = ChunkPipe(writer, "inductiva-writer")
        received = 0
        try:
            try:
                with byte_bar(
                    total, desc="Downloading", initial=have, progress=self.settings.progress
                ) as bar:
                    chunk = first
                    while True:
                        if chunk:
                            received += len(chunk)
                            if received > bound:
                                raise errors.IntegrityError(
                                    f"The server sent more than the {have + bound} bytes the "
                                    f"output archive of task {self.task_id} has; nothing of it "
                                    "was kept."
                                )
                            yield from pipe.put(chunk)
                            bar.update(len(chunk))
                        chunk = yield from read(stream)
                        if not chunk:
                            break
            except BaseException as exc:
                yield from pipe.close(keep=isinstance(exc, errors.ApiConnectionError))
                raise
            yield from pipe.finish()
        finally:
            self.fed += writer.written
            fh.close()

    def _stream(self, state: PartState | None) -> Flow[None]:
        """One request continuing ``part`` from what ``state`` holds."""
        have = state.held_prefix if state is not None else 0
        request = output_request(self.task_id)
        if have and state is not None and state.etag:
            request = output_request(self.task_id, byte_range=f"bytes={have}-", if_range=state.etag)
        stream = yield from open_stream(request)
        try:
            have, total = self._answer(stream, state)
            if total is not None:
                bound = total - have
            else:  # no declared length: the API's listing bounds the body
                bound = (yield from _listing.list_outputs(self.task_id)).size
            first = b""
            if total is not None and self.split:
                taken = yield from _parallel.maybe_split(
                    self.task_id, self.part, stream, have, total, self.settings
                )
                if taken is None:  # the rest came as ranges
                    self.stop_verifying()
                    return
                first = taken
            fh = self._start_part(stream, have, total, state)
            yield from self._write(stream, fh, have, total, bound, first)
        finally:
            yield from close(stream)
        size = self.part.stat().st_size
        if total is not None and size != total:
            raise errors.IntegrityError(f"Downloaded {size} bytes of a {total}-byte archive.")

    def _attempt(self, state: PartState | None) -> Flow[None]:
        if state is not None and state.segments is not None:
            if not (
                yield from _parallel.fetch_ranges(self.task_id, self.part, state, self.settings)
            ):
                raise Changed
        else:
            yield from self._stream(state)

    def run(self) -> Flow[None]:
        """Fetch the whole archive, resuming after drops, within the call's retry budget."""
        policy = self.settings.retry_policy
        attempt = 0
        while True:
            attempt += 1
            mark = budget_mark()
            state = yield from self._align()
            try:
                yield from self._attempt(state)
                return
            except Changed:
                logger.info(
                    "Fetching the output archive of task %s anew as one stream", self.task_id
                )
                _part.discard(self.part)
                self.split, attempt = False, attempt - 1
            except errors.RangeNotSatisfiableError:
                if state is not None and state.complete:
                    return  # the .part was already complete and the archive is unchanged
                _part.discard(self.part)
                self.stop_verifying()
                if attempt >= policy.max_attempts:
                    raise
            except errors.ApiConnectionError as exc:
                wait = resume_delay(policy, attempt, mark, exc)
                if wait is None:
                    raise
                logger.info(
                    "Download of task %s interrupted; resuming in %.2fs", self.task_id, wait
                )
                yield from sleep(wait)

    def finish(self) -> bool:
        """True if the archive was verified on the fly (the verifier checks its end)."""
        if self.verifier is None:
            return False
        self.verifier.close()
        return True


def fetch_archive(task_id: str, part: Path, *, verify_ahead: bool) -> Flow[bool]:
    """Fetch ``task_id``'s whole archive into ``part``; True if verified while streaming.

    ``verify_ahead``: read the central directory first (when the server offers
    byte ranges) to check every member's CRC-32 as the bytes arrive.
    """
    fetch = _Fetch(task_id, part, (yield from session()).settings)
    try:
        held = _part.load(part, task_id)
        ranged = held is not None and held.segments is not None
        if verify_ahead and not ranged and (yield from _capabilities.offers(BYTE_RANGES)):
            fetch.remote = yield from read_directory(task_id)
        yield from fetch.run()
    except BaseException:
        fetch.stop_verifying()
        raise
    return fetch.finish()
