"""Selected files by byte ranges (_members): only the wanted bytes travel, verified."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    corrupt_member,
    listing,
    make_output,
    make_zip,
    serve,
    unserve,
    use_handler,
)

from inductiva import errors

BIG = os.urandom(3_000_000)


MEMBERS = {
    "stdout.txt": b"log line\n" * 500,
    "stderr.txt": b"",
    "important_file1.txt": os.urandom(200_000),
    "important_file2.txt": os.urandom(100_000),
    "bulk/trajectory.bin": BIG,
    "bulk/frames/0.dat": b"frame0" * 1000,
    "bulk/frames/1.dat": b"frame1" * 1000,
    "tail.txt": b"the end\n",
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving MEMBERS (deflated, under artifacts/) as the task's output archive."""
    srv = ArchiveServer(make_output(MEMBERS))
    serve(monkeypatch, srv)
    yield srv
    unserve()


@pytest.fixture
def legacy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API without byte ranges: a Range request gets 200 and the whole archive."""
    srv = ArchiveServer(make_output(MEMBERS), ranges=False)
    serve(monkeypatch, srv)
    yield srv
    unserve()


def test_fetches_only_the_named_members(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """Two adjacent members cost one tail request plus one coalesced range request."""
    names = ["important_file1.txt", "important_file2.txt"]
    out = download(TASK_ID, filenames=names, output_dir=tmp_path)
    assert listing(out) == names
    for name in names:
        assert (out / name).read_bytes() == MEMBERS[name]
    assert len(server.ranges()) == 2 and server.ranges()[0] == "bytes=-65536"
    wanted = sum(len(MEMBERS[n]) for n in names)
    assert server.bytes_sent < wanted + 64 * 1024 + 2048
    assert server.bytes_sent < len(server.archive) / 5


def test_far_apart_members_use_separate_ranges(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """Members separated by more than 64 KiB are not merged (the 3 MB file is skipped).

    tail.txt lies in the tail read with the directory, so it costs no request of its own:
    the directory's and stdout.txt's ranges only.
    """
    out = download(TASK_ID, filenames=["stdout.txt", "tail.txt"], output_dir=tmp_path)
    assert (out / "tail.txt").read_bytes() == MEMBERS["tail.txt"]
    assert len(server.ranges()) == 2
    assert server.bytes_sent < 70_000 + 2 * 1024


def test_directory_name_selects_its_members(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """filenames=["bulk/frames"] downloads every file under that directory."""
    out = download(TASK_ID, filenames=["bulk/frames"], output_dir=tmp_path)
    assert listing(out) == ["bulk", "bulk/frames", "bulk/frames/0.dat", "bulk/frames/1.dat"]


def test_single_string_is_one_filename(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """A lone str is taken as one name, not as a sequence of characters."""
    out = download(TASK_ID, filenames="tail.txt", output_dir=tmp_path)  # type: ignore[arg-type]
    assert listing(out) == ["tail.txt"]


def test_unknown_files_error_lists_close_matches(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """Unknown names raise UnknownFilesError with suggestions; nothing is fetched or created."""
    target = tmp_path / "out"
    with pytest.raises(errors.UnknownFilesError) as info:
        download(
            TASK_ID, filenames=["important_file1.txt", "importnt_file2.txt"], output_dir=target
        )
    assert info.value.missing == ["importnt_file2.txt"]
    message = str(info.value)
    assert "important_file2.txt" in message and "8 output files" in message
    assert isinstance(info.value, ValueError)
    assert not target.exists()
    assert server.ranges() == ["bytes=-65536"]


def test_filenames_with_uncompress_false_is_rejected(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """The combination is an InvalidArgumentError explaining why; no request is made."""
    with pytest.raises(errors.InvalidArgumentError, match="uncompress=False"):
        download(TASK_ID, filenames=["tail.txt"], uncompress=False, output_dir=tmp_path)
    assert server.requests == []


def test_empty_filenames_is_rejected(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """filenames=[] is an InvalidArgumentError, not a silent no-op."""
    with pytest.raises(errors.InvalidArgumentError, match="non-empty"):
        download(TASK_ID, filenames=[], output_dir=tmp_path)


def test_dropped_range_resumes_with_remaining_members(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """After a drop, finished members are kept and only the rest are requested again."""
    server.drop_after, server.drop_times = 250_000, 1
    names = ["important_file1.txt", "important_file2.txt"]
    out = download(TASK_ID, filenames=names, output_dir=tmp_path)
    for name in names:
        assert (out / name).read_bytes() == MEMBERS[name]
    first, second = server.ranges()[1:]
    assert first is not None and second is not None
    assert int(second.split("=")[1].split("-")[0]) > int(first.split("=")[1].split("-")[0])


def test_corrupt_member_raises_integrity_error(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A CRC mismatch in a fetched member raises IntegrityError and writes no file."""
    archive = corrupt_member(make_output(MEMBERS, stored=True), "artifacts/important_file2.txt")
    serve(monkeypatch, ArchiveServer(archive))
    try:
        with pytest.raises(errors.IntegrityError, match="important_file2"):
            download(
                TASK_ID,
                filenames=["important_file1.txt", "important_file2.txt"],
                output_dir=tmp_path / "out",
            )
        assert listing(tmp_path) == []
    finally:
        unserve()


def test_stored_members_are_fetched_too(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Members stored without compression are copied and verified as well."""
    serve(monkeypatch, ArchiveServer(make_output(MEMBERS, stored=True)))
    try:
        out = download(TASK_ID, filenames=["bulk/trajectory.bin"], output_dir=tmp_path)
        assert (out / "bulk" / "trajectory.bin").read_bytes() == BIG
    finally:
        unserve()


def test_small_archive_tail_covers_everything(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An archive smaller than the tail request still works (the 206 holds all of it)."""
    serve(monkeypatch, ArchiveServer(make_output({"a.txt": b"A", "b.txt": b"B"})))
    try:
        out = download(TASK_ID, filenames=["b.txt"], output_dir=tmp_path)
        assert (out / "b.txt").read_bytes() == b"B"
    finally:
        unserve()


def test_unsafe_member_name_is_refused_before_fetching(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Asking for a member named ../x raises UnsafeArchiveError and writes nothing."""
    srv = ArchiveServer(make_zip({"../x.txt": b"x", "ok.txt": b"ok"}))
    serve(monkeypatch, srv)
    try:
        with pytest.raises(errors.UnsafeArchiveError):
            download(TASK_ID, filenames=["../x.txt"], output_dir=tmp_path / "out")
        assert listing(tmp_path) == []
        assert srv.ranges() == ["bytes=-65536"]
    finally:
        unserve()


def test_archive_replaced_mid_download_is_read_again(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the archive changes after its directory was read, the new one is used.

    (stdout.txt lies outside the tail read with the directory, so it needs a range
    request of its own, which is the one that finds the archive replaced.)
    """
    new = {**MEMBERS, "stdout.txt": b"a newer stdout\n"}
    original = server.handle
    swapped = []

    def swap_after_directory(request: httpx.Request) -> httpx.Response:
        if not swapped and request.headers.get("If-Range"):
            server.archive, server.etag = make_output(new), '"v2"'
            swapped.append(True)
        return original(request)

    monkeypatch.setattr(server, "handle", swap_after_directory)
    use_handler(server.handle)
    out = download(TASK_ID, filenames=["stdout.txt"], output_dir=tmp_path)
    assert (out / "stdout.txt").read_bytes() == b"a newer stdout\n"
    assert len(server.ranges()) == 4  # tail, stale range (200), tail again, member range


def test_members_in_the_tail_cost_no_further_request(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """A member inside the tail read with the directory comes from it: one round trip."""
    out = download(TASK_ID, filenames=["tail.txt"], output_dir=tmp_path)
    assert (out / "tail.txt").read_bytes() == MEMBERS["tail.txt"]
    assert len(server.ranges()) == 1


def test_names_are_relative_to_artifacts(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """output/list names map to artifacts/<name> members; output.json is not a task file."""
    out = download(TASK_ID, filenames=["bulk/frames/1.dat"], output_dir=tmp_path)
    assert listing(out) == ["bulk", "bulk/frames", "bulk/frames/1.dat"]
    with pytest.raises(errors.UnknownFilesError):
        download(TASK_ID, filenames=["output.json"], output_dir=tmp_path)


@pytest.mark.parametrize("ranges", [True, False], ids=["ranges", "legacy"])
def test_both_paths_give_the_same_files_and_layout(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ranges: bool
) -> None:
    """A directory name and a file name yield the same tree with or without byte ranges."""
    serve(monkeypatch, ArchiveServer(make_output(MEMBERS), ranges=ranges))
    try:
        out = download(
            TASK_ID, filenames=["bulk/frames/", "./stdout.txt"], output_dir=tmp_path / "o"
        )
    finally:
        unserve()
    expected = ["bulk", "bulk/frames", "bulk/frames/0.dat", "bulk/frames/1.dat", "stdout.txt"]
    assert listing(out) == expected
    assert (out / "bulk/frames/1.dat").read_bytes() == MEMBERS["bulk/frames/1.dat"]


def test_oversized_content_range_is_a_transfer_error(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A Content-Range with an absurd total is a TransferError naming the header."""
    handle = server.handle

    def huge(request: httpx.Request) -> httpx.Response:
        response = handle(request)
        if response.status_code == 206:
            response.headers["Content-Range"] = "bytes 0-10/" + "9" * 40
        return response

    use_handler(huge)
    with pytest.raises(errors.TransferError, match="Content-Range"):
        download(TASK_ID, output_dir=tmp_path, filenames=["stdout.txt"])


def test_a_selected_member_stored_twice_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A file the archive holds twice is refused when selected, nothing written (as extraction)."""
    import io
    import warnings
    import zipfile

    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        zf.writestr("artifacts/x.txt", b"one")
        zf.writestr("artifacts/x.txt", b"two")
        zf.writestr("artifacts/y.txt", b"y")
    srv = ArchiveServer(buffer.getvalue())
    serve(monkeypatch, srv)
    try:
        with pytest.raises(errors.UnsafeArchiveError, match="twice"):
            download(TASK_ID, filenames=["x.txt"], output_dir=tmp_path / "out")
    finally:
        unserve()
    assert not (tmp_path / "out" / "x.txt").exists()
