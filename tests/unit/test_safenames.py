"""Name checks at scale: the fast path agrees with the full check; whole-extraction checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inductiva import errors
from inductiva._transfers import _safenames, _select
from inductiva._transfers._safenames import TargetCheck, check_member_name, member_key

_PARTS = st.sampled_from(["a", "b.txt", ".", "..", "", "CON", ".inductiva", "ü", "x y", "C:", "\t"])


@given(st.lists(_PARTS, min_size=1, max_size=5), st.sampled_from(["/", "\\"]))
def test_member_key_agrees_with_the_full_check(parts: list[str], sep: str) -> None:
    """member_key returns the normalised path check_member_name gives, or refuses alike."""
    name = sep.join(parts)
    try:
        expected = "/".join(check_member_name(name, windows=False).parts)
    except errors.UnsafeArchiveError:
        with pytest.raises(errors.UnsafeArchiveError):
            member_key(name, windows=False)
        return
    assert member_key(name, windows=False) == expected


def _check(root: Path, pairs: list[tuple[str, str]]) -> list[str]:
    check = TargetCheck(root, lambda: pairs)
    keys = [check.add(name, relative) for name, relative in pairs]
    check.finish()
    return keys


def test_duplicate_names_are_refused_even_after_normalising(tmp_path: Path) -> None:
    """a/b.txt and a//./b.txt are one file written twice: refused, naming the first."""
    with pytest.raises(errors.UnsafeArchiveError, match=r"holds 'a/b\.txt' twice"):
        _check(tmp_path, [("a/b.txt", "a/b.txt"), ("c", "c"), ("x", "a//./b.txt")])


def test_equal_hashes_of_different_names_are_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Colliding hashes are confirmed on the names: distinct names pass."""
    monkeypatch.setattr(_safenames, "_hash", lambda key: 42)
    assert _check(tmp_path, [("a", "a"), ("b", "b"), ("d/c", "d/c")]) == ["a", "b", "d/c"]
    with pytest.raises(errors.UnsafeArchiveError, match="twice"):
        _check(tmp_path, [("a", "a"), ("b", "b"), ("a2", "a")])


def test_file_that_is_also_a_directory_is_refused(tmp_path: Path) -> None:
    """x and x/y in one extraction is refused, naming the member that made x a directory."""
    with pytest.raises(errors.UnsafeArchiveError, match="directory of 'x/y'"):
        _check(tmp_path, [("x/y", "x/y"), ("x", "x")])


def test_fresh_destination_needs_no_symlink_lookups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In directories the destination lacks, nothing is listed: one lstat per top directory."""
    seen: list[str] = []
    real_lstat = _safenames.os.lstat

    def counting(path: str) -> object:
        if str(path).startswith(str(tmp_path / "out") + "/"):
            seen.append(path)  # a lookup inside the destination (realpath's own are not)
        return real_lstat(path)

    monkeypatch.setattr(_safenames.os, "lstat", counting)
    pairs = [(f"top{i % 3}/d{i % 50}/f{i}", f"top{i % 3}/d{i % 50}/f{i}") for i in range(3000)]
    _check(tmp_path / "out", pairs)  # the destination does not exist: no lookup at all
    assert seen == []
    (tmp_path / "out").mkdir()
    _check(tmp_path / "out", pairs)
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [
        (["a.txt"], ["a.txt"]),
        (["d"], ["d/e/f.txt", "d/g.txt", "d/e/z.txt"]),
        (["d/"], ["d/e/f.txt", "d/g.txt", "d/e/z.txt"]),
        (["./d/e"], ["d/e/f.txt", "d/e/z.txt"]),
        (["d\\e\\f.txt"], ["d/e/f.txt"]),
        (["a.txt", "d", "a.txt"], ["a.txt", "d/e/f.txt", "d/g.txt", "d/e/z.txt"]),
        (["dd"], ["dd/h.txt"]),
    ],
)
def test_name_selector_chooses_files_and_directories(wanted: list[str], chosen: list[str]) -> None:
    """Names select files, a directory its files; ./ and backslashes are read as on the server."""
    available = ["a.txt", "d/e/f.txt", "d/g.txt", "dd/h.txt", "b/d/x.txt", "d/e/z.txt"]
    selector = _select.NameSelector(wanted)
    for name in available:
        selector.feed(name)
    assert selector.result("1", lambda: available) == chosen


def test_name_selector_refuses_a_name_matching_nothing() -> None:
    """A name that is no file and no directory of the outputs is an UnknownFilesError."""
    available = ["a.txt", "d/e/f.txt"]
    selector = _select.NameSelector(["/"])
    for name in available:
        selector.feed(name)
    with pytest.raises(errors.UnknownFilesError, match=r"task 1: '/'.*2 output files") as info:
        selector.result("1", lambda: available)
    assert info.value.missing == ["/"]


def test_name_selector_reports_unknown_names_with_hints() -> None:
    """Unknown names raise UnknownFilesError with close matches and the file count."""
    available = ["log.txt", "data/out.csv"]
    selector = _select.NameSelector(["lgo.txt", "log.txt"])
    for name in available:
        selector.feed(name)
    with pytest.raises(
        errors.UnknownFilesError, match=r"'lgo.txt'.*did you mean 'log.txt'.*2 output"
    ) as info:
        selector.result("7", lambda: available)
    assert info.value.missing == ["lgo.txt"]


def test_listing_is_parsed_entry_by_entry() -> None:
    """Every entry's name reaches the selector; a malformed listing is a TransferError."""
    names: list[str] = []
    text = '{"size": 10, "contents": [{"name": "a", "size": 1}, {"name": "b/c"}]}'
    assert _select.parse_listing(text, names.append) == 2
    assert names == ["a", "b/c"]
    with pytest.raises(errors.TransferError, match="without a name"):
        _select.parse_listing('{"contents": [{"size": 1}]}', names.append)
    with pytest.raises(errors.TransferError, match="no list"):
        _select.parse_listing('{"size": 1, "contents": 5}', names.append)
    with pytest.raises(errors.TransferError, match="not JSON"):
        _select.parse_listing("{", names.append)
