"""Output download (ranges, ETag, If-Range) and output listing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import client_for, submit, wait_final

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
        task_id = submit(c, "synthetic.run", {"stdout": "hi", "files": FILES})
        assert wait_final(c, task_id) == "success"
        body = c.get(f"/tasks/{task_id}/output").content
    return task_id, body


def test_full_download_headers(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """200 with Content-Length, strong ETag, Accept-Ranges and a valid zip."""
    task_id, body = finished
    r = api.get(f"/tasks/{task_id}/output")
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(body) == len(r.content)
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"].startswith('"') and not r.headers["etag"].startswith("W/")
    assert r.headers["content-type"] == "application/zip"
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
    """A range past the end → 416 with Content-Range bytes */size and the Error model."""
    task_id, body = finished
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": f"bytes={len(body)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(body)}"
    assert r.json()["code"] == "range_not_satisfiable"


def test_if_range_mismatch_sends_everything(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """If-Range with another ETag → full 200; with the right ETag → 206."""
    task_id, body = finished
    etag = api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-0"}).headers["etag"]
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert r.status_code == 200 and r.content == body
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206 and r.content == body[:10]


def test_output_list_matches_zip(api: httpx.Client, finished: tuple[str, bytes]) -> None:
    """output/list reports the archive size and each member's sizes as in the zip."""
    task_id, body = finished
    listing = api.get(f"/tasks/{task_id}/output/list").json()
    assert listing["size"] == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        real = {i.filename: (i.file_size, i.compress_size) for i in zf.infolist()}
    got = {m["name"]: (m["size"], m["compressed_size"]) for m in listing["contents"]}
    assert got == real
    assert got["sub/random.bin"][0] == got["sub/random.bin"][1] == 200_000  # stored
    assert got["text.txt"][1] < got["text.txt"][0]  # deflated


def test_outputs_not_ready_is_409(api: httpx.Client) -> None:
    """Output endpoints of an unfinished task → 409."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    for path in ("/output", "/output/list"):
        r = api.get(f"/tasks/{task_id}{path}")
        assert r.status_code == 409 and r.json()["code"] == "outputs_not_ready"


def test_large_incompressible_output(api: httpx.Client, run_task: Callable[..., str]) -> None:
    """A 64 MiB random file is generated, stored and streamed back quickly."""
    size = 64 * 1024 * 1024
    task_id = run_task(
        "synthetic.run", {"files": [{"name": "big.bin", "size": size, "compressible": False}]}
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
            "synthetic.run",
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
