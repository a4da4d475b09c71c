"""Instances side by side: private locked data directories, private state files, hashed keys."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from inductiva_mock.datadir import DataDirInUse, open_data_dir
from inductiva_mock.launcher import MockServer, free_port
from mock_helpers import SYNTHETIC, client_for, submit, wait_final


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_data_dir_is_a_fresh_private_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --data-dir each instance makes its own mkdtemp directory (0700), removed after."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first, second = open_data_dir(None), open_data_dir(None)
    try:
        assert first.path != second.path and first.owned and second.owned
        assert first.path.parent == tmp_path and _mode(first.path) == 0o700
    finally:
        first.release()
        second.release()
    assert not first.path.exists() and not second.path.exists()


def test_mock_server_makes_its_directory_only_when_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MockServer() names a private directory; start() creates it (0700), cleanup() removes it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    server = MockServer(api_keys=["k"])
    assert server.data_dir.parent == tmp_path and not server.data_dir.exists()
    with server:
        assert _mode(server.data_dir) == 0o700
    assert list(tmp_path.iterdir()) == []


def test_planted_symlink_is_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A symlink planted at the old shared default ($TMPDIR/inductiva-mock) is left alone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "inductiva-mock").symlink_to(victim)
    data = open_data_dir(None)
    try:
        assert data.path.resolve().parent == tmp_path.resolve()
        assert not data.path.is_symlink() and list(victim.iterdir()) == []
    finally:
        data.release()


def test_data_dir_in_use_is_refused(tmp_path: Path) -> None:
    """A second opening of a locked data directory raises DataDirInUse naming the holder."""
    first = open_data_dir(tmp_path / "state")
    try:
        with pytest.raises(DataDirInUse, match=rf"in use by another running .*pid {os.getpid()}"):
            open_data_dir(tmp_path / "state")
    finally:
        first.release()
    open_data_dir(tmp_path / "state").release()  # free again once released


def test_second_server_on_same_data_dir_exits_with_clear_error(tmp_path: Path) -> None:
    """A server started on a data directory a running one uses exits 1 with a clear message."""
    with MockServer(data_dir=tmp_path / "shared", api_keys=["k"]) as s, client_for(s, "k") as c:
        cmd = [sys.executable, "-m", "inductiva_mock", "--data-dir", str(s.data_dir)]
        proc = subprocess.run(
            [*cmd, "--port", str(free_port())], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 1
        assert f"data directory {s.data_dir} is in use by another running" in proc.stderr
        task_id = submit(c, SYNTHETIC, {"stdout": "unharmed"})
        assert wait_final(c, task_id) == "success"


def test_two_default_instances_do_not_share_state() -> None:
    """Two servers with default data directories see only their own tasks."""
    with MockServer(api_keys=["k"]) as a, MockServer(api_keys=["k"]) as b:
        assert a.data_dir != b.data_dir
        with client_for(a, "k") as ca, client_for(b, "k") as cb:
            task_id = submit(ca, SYNTHETIC, {})
            assert cb.get(f"/tasks/{task_id}").status_code == 404
            assert wait_final(ca, task_id) == "success"


def test_state_files_private_and_keys_hashed(tmp_path: Path) -> None:
    """SQLite files are 0600, the directory it creates 0700, and keys stored only hashed."""
    key = "secret-key-in-clear"
    with MockServer(data_dir=tmp_path / "new", api_keys=[key]) as s, client_for(s, key) as c:
        wait_final(c, submit(c, SYNTHETIC, {"stdout": "x"}))
        assert _mode(s.data_dir) == 0o700
        db_files = list(s.data_dir.glob("mock.sqlite3*"))
        assert db_files and all(_mode(p) == 0o600 for p in db_files)
        assert _mode(s.data_dir / "mock.lock") == 0o600
        outputs = list((s.data_dir / "outputs").iterdir())
        assert outputs and all(_mode(p) == 0o600 for p in outputs)
    raw = b"".join(p.read_bytes() for p in (tmp_path / "new").glob("mock.sqlite3*"))
    assert key.encode() not in raw
    with sqlite3.connect(tmp_path / "new" / "mock.sqlite3") as conn:
        owners = {row[0] for row in conn.execute("SELECT api_key FROM tasks")}
    assert owners == {hashlib.sha256(key.encode()).hexdigest()}


def test_clear_keys_of_an_old_database_are_hashed(tmp_path: Path) -> None:
    """A database written by an older mock (keys in clear) is migrated at start."""
    with MockServer(data_dir=tmp_path, api_keys=["old-key"]) as s, client_for(s, "old-key") as c:
        task_id = submit(c, SYNTHETIC, {}, upload=False)
    with sqlite3.connect(tmp_path / "mock.sqlite3") as conn:  # as an older mock wrote it
        conn.execute("UPDATE tasks SET api_key = 'old-key'")
        conn.execute("PRAGMA user_version = 0")
    with MockServer(data_dir=tmp_path, api_keys=["old-key"]) as s, client_for(s, "old-key") as c:
        assert c.get(f"/tasks/{task_id}").status_code == 200
    text = (tmp_path / "mock.sqlite3").read_bytes()
    assert not re.search(rb"old-key", text)
