"""Fault injection on the mock server: each case ends correct and complete, or in a clear error.

After an error no final-named file holds partial data; the only thing a dropped
full download may leave is its resumable ``output.zip.part`` + sidecar pair,
which the next call continues (tested below). Every case runs against the
default mock and the legacy mock (no extensions: no byte ranges, so resumes
restart from zero; no idempotency keys, so submits are re-sent only when the
connection was never made).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from inductiva_api.api.tasks import get_task_status, list_task_outputs, list_tasks
from inductiva_mock.launcher import MockServer
from test_transfers import SYNTHETIC, api_call, download_outputs, point_at, run_synthetic

import inductiva
from inductiva import _http, _submit, errors

pytestmark = pytest.mark.contract

MIB = 1024 * 1024
FILES = [
    {"name": "bulk/a.bin", "size": 3 * MIB, "compressible": False},
    {"name": "bulk/b.bin", "size": 3 * MIB, "compressible": False},
    {"name": "notes.txt", "size": 50_000, "compressible": True},
]


_TASKS: dict[str, str] = {}


@pytest.fixture
def server(any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """A session server (default or legacy), faults cleared and stats zeroed, cleared after."""
    point_at(any_mock_server, monkeypatch)
    monkeypatch.setattr(inductiva, "max_retries", 4)
    any_mock_server.clear_faults()
    any_mock_server.reset_stats()
    yield any_mock_server
    any_mock_server.clear_faults()
    _http.reset()


@pytest.fixture
def task_id(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One finished synthetic task with ~6 MiB of incompressible outputs, per server."""
    if server.url not in _TASKS:
        _TASKS[server.url] = run_synthetic(FILES, tmp_path_factory.mktemp("faults"))
        server.reset_stats()
    return _TASKS[server.url]


class Recorder(httpx.BaseTransport):
    """The real transport, recording each request's headers and the status answered.

    ``lose_submit_responses`` makes the first submits reach the server but lose
    their answer (a ReadError), as when a connection drops after the server acted.
    """

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.seen: list[tuple[httpx.Request, int]] = []
        self.etags: list[str | None] = []
        self.lose_submit_responses = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the mock server and record the exchange."""
        response = self._inner.handle_request(request)
        self.seen.append((request, response.status_code))
        self.etags.append(response.headers.get("ETag"))
        if self.lose_submit_responses and request.url.path == "/tasks/submit":
            self.lose_submit_responses -= 1
            response.close()
            raise httpx.ReadError("response lost (test)", request=request)
        return response

    def close(self) -> None:
        """Close the real transport."""
        self._inner.close()

    def output_requests(self) -> list[tuple[str | None, str | None, int, str | None]]:
        """(Range, If-Range, status, answered ETag) of each full-archive request."""
        return [
            (r.headers.get("Range"), r.headers.get("If-Range"), status, etag)
            for (r, status), etag in zip(self.seen, self.etags, strict=True)
            if r.url.path.endswith("/output")
        ]


@pytest.fixture
def recorder(server: MockServer) -> Iterator[Recorder]:
    """The client's requests to the session server go through a Recorder."""
    transport = Recorder()
    _http.set_transport(transport)
    yield transport
    _http.set_transport()


def _task_count() -> int:
    return len(api_call(list_tasks.sync_detailed, per_page=1_000_000))


def _submit_one() -> str:
    flow = _submit.register_flow(SYNTHETIC, {"sim_dir": "sim_dir", "duration": 0.1}, None)
    return str(_http.default_core().run(flow))


def test_submit_after_503_is_retried_only_if_the_server_dedupes(
    server: MockServer, recorder: Recorder
) -> None:
    """Two 503s: re-sent with one Idempotency-Key when declared (one task), else raised (none)."""
    before = _task_count()
    server.set_faults(fail_next=2, fail_status=503, retry_after=0, path_regex="^/tasks/submit")
    submits = lambda: [(r, st) for r, st in recorder.seen if r.url.path == "/tasks/submit"]  # noqa: E731
    if server.legacy:
        with pytest.raises(errors.ServerError):
            _submit_one()
        assert [status for _, status in submits()] == [503]
        assert _task_count() == before
        return
    task_id = _submit_one()
    assert _task_count() == before + 1
    assert [status for _, status in submits()] == [503, 503, 202]
    assert len({r.headers["Idempotency-Key"] for r, _ in submits()}) == 1
    assert server.stats()["requests_by_path"]["/tasks/submit"] == 3
    assert api_call(get_task_status.sync_detailed, task_id=task_id).status == "pending-input"


def test_submit_whose_answer_was_lost_never_creates_two_tasks(
    server: MockServer, recorder: Recorder
) -> None:
    """A submit taken but unanswered is re-sent (same key) only if declared; else raised."""
    before = _task_count()
    recorder.lose_submit_responses = 1
    if server.legacy:
        with pytest.raises(errors.ApiConnectionError):
            _submit_one()
        assert server.stats()["requests_by_path"]["/tasks/submit"] == 1
        assert _task_count() == before + 1
        return
    task_id = _submit_one()
    assert server.stats()["requests_by_path"]["/tasks/submit"] == 2
    assert _task_count() == before + 1
    first, second = [r for r, _ in recorder.seen if r.url.path == "/tasks/submit"]
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    newest = api_call(list_tasks.sync_detailed, per_page=1)[0]
    assert newest.task_id == task_id


def _archive_size(task_id: str) -> int:
    return int(api_call(list_task_outputs.sync_detailed, task_id=task_id).size)


def _leftovers(root: Path) -> list[str]:
    """Partial or temporary files under root."""
    if not root.exists():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if ".part" in p.name or p.name.startswith((".inductiva-partial", ".inductiva"))
    )


def _assert_complete(out: Path) -> None:
    sizes = {f["name"]: f["size"] for f in FILES}
    for name, size in sizes.items():
        assert (out / name).stat().st_size == size, name
    assert _leftovers(out) == []


def test_503_burst_is_retried_until_success(server: MockServer, task_id: str) -> None:
    """Three 503s with Retry-After: 0 are absorbed; the stats show four requests."""
    server.set_faults(fail_next=3, fail_status=503, retry_after=0, path_regex=r"/status$")
    status = api_call(get_task_status.sync_detailed, task_id=task_id)
    assert str(status.status) == "success"
    assert server.stats()["requests_by_path"][f"/tasks/{task_id}/status"] == 4


def test_429_burst_on_download_is_retried(server: MockServer, task_id: str, tmp_path: Path) -> None:
    """Rate limiting during a full download is waited out; the result is complete."""
    server.set_faults(fail_next=2, fail_status=429, retry_after=0, path_regex=r"/output$")
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)
    assert server.stats()["requests_by_path"][f"/tasks/{task_id}/output"] == 3


def test_persistent_503_is_a_server_error_and_leaves_nothing(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More 503s than retries raise ServerError; no directory or partial file is created."""
    monkeypatch.setattr(inductiva, "max_retries", 1)
    server.set_faults(fail_next=10, fail_status=503, retry_after=0, path_regex=r"/output$")
    with pytest.raises(errors.ServerError):
        download_outputs(task_id, output_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_dropped_download_resumes_and_completes(
    server: MockServer, task_id: str, tmp_path: Path, recorder: Recorder
) -> None:
    """Two drops: resumed with Range + If-Range (206s), or, without ranges, restarted at 0."""
    size = _archive_size(task_id)
    server.set_faults(drop_download_after_bytes=2 * MIB, drop_download_times=2)
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)
    sent = server.stats()["bytes_sent_output"]
    assert server.stats()["requests_by_path"][f"/tasks/{task_id}/output"] == 3
    if server.legacy:
        assert sent == size + 4 * MIB  # each drop costs what it had sent
        assert recorder.output_requests() == [(None, None, 200, None)] * 3
        return
    assert size <= sent < size + MIB  # restarting from byte 0 would cost 4 MiB more
    (*first, etag), *resumed = recorder.output_requests()
    assert first == [None, None, 200] and etag
    assert [(if_range, status) for _, if_range, status, _ in resumed] == [(etag, 206)] * 2
    offsets = [int(rng.removeprefix("bytes=").rstrip("-")) for rng, *_ in resumed if rng]
    assert len(offsets) == 2 and 0 < offsets[0] < offsets[1] < size


def test_dropped_download_kept_zip_is_crc_verified(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """A resumed download kept as a zip passes every member's CRC check."""
    server.set_faults(drop_download_after_bytes=MIB, drop_download_times=1)
    out = download_outputs(task_id, output_dir=tmp_path, uncompress=False)
    with zipfile.ZipFile(out / "output.zip") as zf:
        assert zf.testzip() is None
    assert _leftovers(out) == []


def test_out_of_retries_keeps_only_resumable_state_then_resumes(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no retries a drop is a clear error and no final file; the next call completes."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.set_faults(drop_download_after_bytes=2 * MIB, drop_download_times=1)
    with pytest.raises(errors.ApiConnectionError, match="resumes on the next call"):
        download_outputs(task_id, output_dir=tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        ".inductiva",
        ".inductiva/output.zip.part",
        ".inductiva/output.zip.part.json",
    ]
    size = _archive_size(task_id)
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)
    sent = server.stats()["bytes_sent_output"]
    assert sent == size if server.legacy else sent < size  # legacy: starts over, no error
    assert not (out / "output.zip").exists()


def test_dropped_partial_download_resumes(server: MockServer, task_id: str, tmp_path: Path) -> None:
    """A drop while fetching selected files re-fetches only what is missing (legacy: the subset)."""
    wanted = ["bulk/b.bin", "notes.txt"]
    listing = api_call(list_task_outputs.sync_detailed, task_id=task_id)
    compressed = sum(int(m.compressed_size) for m in listing.contents if m.name in wanted)
    server.set_faults(drop_download_after_bytes=MIB, drop_download_times=1)
    server.reset_stats()
    out = download_outputs(task_id, filenames=wanted, output_dir=tmp_path)
    # the wanted members once, plus at most the dropped MiB and the directory reads
    assert server.stats()["bytes_sent_output"] < compressed + MIB + 256 * 1024
    assert (out / "bulk" / "b.bin").stat().st_size == 3 * MIB
    assert (out / "notes.txt").stat().st_size == 50_000
    assert not (out / "bulk" / "a.bin").exists()
    assert _leftovers(out) == []


def test_slow_server_still_gives_a_correct_result(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """A 0.3 s delay on every output request only slows the download down."""
    server.set_faults(delay_seconds=0.3, path_regex=r"/output$")
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)


def test_slow_server_with_low_timeout_is_a_clear_timeout(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delay longer than inductiva.timeout raises ApiTimeoutError and leaves nothing."""
    monkeypatch.setattr(inductiva, "timeout", 0.2)
    monkeypatch.setattr(inductiva, "max_retries", 1)
    server.set_faults(delay_seconds=1.0, path_regex=r"/output$")
    with pytest.raises(errors.ApiTimeoutError, match="INDUCTIVA_TIMEOUT"):
        download_outputs(task_id, output_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()
