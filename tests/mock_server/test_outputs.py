"""Output download (layout, filename subsets, ranges, ETag, If-Range) and output listing."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, client_for, submit, wait_final

FILES = [
    {"name": "text.txt", "size": 300_000},
    {"name": "sub/random.bin", "size": 200_000, "compressible": False},
]


@pytest.fixture(scope="module")
def finished(mock_server: object) -> tuple[str, bytes]:
    """A finished synthetic task and its whole archive."""
    from inductiva_mock.launcher import MockServer
    from mock_helpers import client_for, wait_final

    assert isinstance(mock_server, MockServer)
    with client_for(mock_server, "test-key") as c:
        task_id = submit(c, SYNTHETIC, {"stdout": "hi", "files": FILES})
        assert wait_final(c, task_id) == "success"
        body = c.get(f"/tasks/{task_id}/output").content
    return task_id, body


def test_full_download_headers(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """200 octet-stream with Content-Length, strong ETag, Accept-Ranges and a valid zip."""
    task_id, body = finished
    r = api.get(f"/tasks/{task_id}/output")
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(body) == len(r.content)
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"].startswith('"') and not r.headers["etag"].startswith("W/")
    assert r.headers["content-type"] == "application/octet-stream"
    assert zipfile.ZipFile(io.BytesIO(r.content)).testzip() is None


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, None), ("bytes=-500", -500, None)],
)
def test_single_range_is_206(
    api: httpx.Client, finished: tuple[str, bytes], header: str, start: int, end: int | None
) -> None:
    """bytes=a-b, a- and -n → 206 with the matching bytes and Content-Range."""
    task_id, body = finished
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": header})
    assert r.status_code == 206
    expected = body[start : end + 1] if end is not None else body[start:]
    assert r.content == expected
    first = start if start >= 0 else len(body) + start
    assert r.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(body)}"
    assert int(r.headers["content-length"]) == len(expected)


def test_unsatisfiable_range_is_416(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """A range past the end → 416 with Content-Range bytes */size and {detail}."""
    task_id, body = finished
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": f"bytes={len(body)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(body)}"
    assert "outside the archive" in r.json()["detail"]


def test_if_range_mismatch_sends_everything(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """If-Range with another ETag → full 200; with the right ETag → 206."""
    task_id, body = finished
    etag = api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-0"}).headers["etag"]
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert r.status_code == 200 and r.content == body
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206 and r.content == body[:10]


def test_full_archive_layout(finished: tuple[str, bytes]) -> None:
    """The full archive holds output.json (a JSON list) and the task's files under artifacts/."""
    _, body = finished
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = zf.namelist()
        assert json.loads(zf.read("output.json")) == []
    assert names[0] == "output.json"
    assert sorted(names[1:]) == [
        "artifacts/stderr.txt",
        "artifacts/stdout.txt",
        "artifacts/sub/random.bin",
        "artifacts/text.txt",
    ]


def test_output_list_matches_zip(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """output/list: the full archive's size and its artifacts/ files, named relative to it."""
    task_id, body = finished
    listing = api.get(f"/tasks/{task_id}/output/list").json()
    assert listing["size"] == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        real = {
            i.filename.removeprefix("artifacts/"): (i.file_size, i.compress_size)
            for i in zf.infolist()
            if i.filename.startswith("artifacts/")
        }
    got = {m["name"]: (m["size"], m["compressed_size"]) for m in listing["contents"]}
    assert got == real
    assert got["sub/random.bin"][0] == got["sub/random.bin"][1] == 200_000  # stored
    assert got["text.txt"][1] < got["text.txt"][0]  # deflated
    assert "output.json" not in got


def test_filename_subset_at_the_root(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """?filename=a&filename=b → a zip of just those files at its root, same bytes."""
    task_id, body = finished
    r = api.get(
        f"/tasks/{task_id}/output",
        params=[("filename", "sub/random.bin"), ("filename", "stdout.txt")],
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    with zipfile.ZipFile(io.BytesIO(r.content)) as sub, zipfile.ZipFile(io.BytesIO(body)) as full:
        assert sub.namelist() == ["sub/random.bin", "stdout.txt"]
        assert sub.read("stdout.txt") == full.read("artifacts/stdout.txt") == b"hi"
        assert sub.read("sub/random.bin") == full.read("artifacts/sub/random.bin")
    assert len(r.content) < len(body)


def test_filename_subset_supports_ranges(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """A subset archive has its own ETag and serves byte ranges too (default mode)."""
    task_id, _ = finished
    params = {"filename": "text.txt"}
    whole = api.get(f"/tasks/{task_id}/output", params=params)
    r = api.get(f"/tasks/{task_id}/output", params=params, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == whole.content[:100]
    assert r.headers["etag"] == whole.headers["etag"]


def test_filename_unknown_is_404_naming_it(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """A filename the task does not have → 404 {detail} naming the missing files."""
    task_id, _ = finished
    r = api.get(
        f"/tasks/{task_id}/output", params=[("filename", "stdout.txt"), ("filename", "nope.txt")]
    )
    assert r.status_code == 404 and "nope.txt" in r.json()["detail"]
    assert "stdout.txt" not in r.json()["detail"]


def test_outputs_not_ready_is_409(api: httpx.Client) -> None:
    """Output endpoints of an unfinished task → 409 {detail}."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    for path in ("/output", "/output/list"):
        r = api.get(f"/tasks/{task_id}{path}")
        assert r.status_code == 409 and "not ready" in r.json()["detail"]


def test_large_incompressible_output(api: httpx.Client, run_task: Callable[..., str]) -> None:
    """A 64 MiB random file is generated, stored and streamed back quickly."""
    size = 64 * 1024 * 1024
    task_id = run_task(
        SYNTHETIC, {"files": [{"name": "big.bin", "size": size, "compressible": False}]}
    )
    listing = api.get(f"/tasks/{task_id}/output/list").json()
    big = next(m for m in listing["contents"] if m["name"] == "big.bin")
    assert big["size"] == big["compressed_size"] == size
    total = 0
    with api.stream("GET", f"/tasks/{task_id}/output") as r:
        for chunk in r.iter_bytes():
            total += len(chunk)
    assert total == listing["size"]


def _peak_rss_bytes(pid: int) -> int:
    """The high-water mark of a process's resident memory (VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for pid {pid}")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_1gib_download_is_streamed_not_loaded() -> None:
    """Serving a 1 GiB archive (whole and ranged) raises the server's peak RSS by < 64 MiB."""
    size = 1024**3
    with MockServer(api_keys=["k"]) as s, client_for(s, "k") as c:
        task_id = submit(
            c,
            SYNTHETIC,
            {"files": [{"name": "big.bin", "size": size, "compressible": False}]},
        )
        assert wait_final(c, task_id, timeout=120) == "success"
        archive = c.get(f"/tasks/{task_id}/output/list").json()["size"]
        assert archive > size
        pid = s.pid
        assert pid is not None
        before = _peak_rss_bytes(pid)
        total = 0
        with c.stream("GET", f"/tasks/{task_id}/output") as r:
            assert int(r.headers["content-length"]) == archive
            for chunk in r.iter_raw(4 * 1024 * 1024):
                total += len(chunk)
        with c.stream("GET", f"/tasks/{task_id}/output", headers={"Range": "bytes=1000-"}) as r:
            assert r.status_code == 206
            ranged = sum(len(chunk) for chunk in r.iter_raw(4 * 1024 * 1024))
        growth = _peak_rss_bytes(pid) - before
    assert total == archive and ranged == archive - 1000
    assert before < 512 * 1024**2, f"building the archive peaked at {before / 1024**2:.0f} MiB"
    assert growth < 64 * 1024**2, f"peak RSS grew by {growth / 1024**2:.0f} MiB"
