"""SQLite persistence of tasks and idempotency keys (API keys stored as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inductiva_api.contract import Status

__all__ = ["TaskRow", "TaskStore", "iso_from_ns", "key_hash", "utc_now"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    method TEXT NOT NULL,
    params TEXT NOT NULL,
    resource_pool TEXT,
    status TEXT NOT NULL,
    create_ns INTEGER NOT NULL,
    create_time TEXT NOT NULL,
    input_submit_time TEXT,
    start_time TEXT,
    end_time TEXT,
    executer TEXT,
    input_size_bytes INTEGER,
    output_size_bytes INTEGER,
    output_path TEXT,
    pid INTEGER
);
CREATE INDEX IF NOT EXISTS tasks_by_key ON tasks (api_key, create_ns DESC, id DESC);
CREATE INDEX IF NOT EXISTS tasks_by_key_status
    ON tasks (api_key, status, create_ns DESC, id DESC);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status);
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (api_key, key)
);
"""

MAX_OFFSET = 2**62
# PRAGMA user_version: 0 = keys in clear (before hashing), 1 = keys hashed.
SCHEMA_VERSION = 1


def key_hash(api_key: str) -> str:
    """How an API key is stored: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def utc_now() -> str:
    """The current time, ISO 8601 with an explicit UTC offset."""
    return datetime.now(UTC).isoformat()


def iso_from_ns(ns: int) -> str:
    """ISO 8601 UTC time of a `time.time_ns()` value."""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat()


@dataclass
class TaskRow:
    """One task as stored."""

    id: str
    api_key: str
    method: str
    params: dict[str, Any]
    resource_pool: str | None
    status: str
    create_ns: int
    create_time: str
    input_submit_time: str | None
    start_time: str | None
    end_time: str | None
    executer: dict[str, Any] | None
    input_size_bytes: int | None
    output_size_bytes: int | None
    output_path: str | None
    pid: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TaskRow:
        """Decode a database row."""
        d = dict(row)
        d["params"] = json.loads(d["params"])
        d["executer"] = json.loads(d["executer"]) if d["executer"] else None
        return cls(**d)

    def to_api(self) -> dict[str, Any]:
        """The `Task` model of openapi.yaml (`executer` is null until the task starts)."""
        return {
            "task_id": self.id,
            "status": self.status,
            "method_name": self.method,
            "create_time": self.create_time,
            "input_submit_time": self.input_submit_time,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "executer": self.executer,
        }

    def status_api(self) -> dict[str, Any]:
        """The `TaskStatus` model: {id, status}."""
        return {"id": self.id, "status": self.status}


class TaskStore:
    """All database access. Used from the event loop thread only.

    The `api_key` arguments and column hold the key's hash (`key_hash`), never the key.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Private from the start: SQLite gives its -wal/-shm files the database's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        os.chmod(path, 0o600)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists() and not side.is_symlink():
                os.chmod(side, 0o600)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        fresh = self.conn.execute("SELECT name FROM sqlite_master").fetchone() is None
        self.conn.executescript(SCHEMA)
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if not fresh and version < 1:
            self._hash_clear_keys()
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        row = self.conn.execute("SELECT MAX(CAST(id AS INTEGER)) FROM tasks").fetchone()
        self._last_id = int(row[0] or 0)

    def _hash_clear_keys(self) -> None:
        """Migrate a database of an older mock that stored API keys in clear."""
        self.conn.create_function("key_hash", 1, key_hash, deterministic=True)
        self.conn.execute("BEGIN")
        self.conn.execute("UPDATE tasks SET api_key = key_hash(api_key)")
        self.conn.execute("UPDATE idempotency SET api_key = key_hash(api_key)")
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def delete_all(self) -> None:
        """Forget every task and idempotency key (admin reset)."""
        self.conn.execute("BEGIN")
        self.conn.execute("DELETE FROM tasks")
        self.conn.execute("DELETE FROM idempotency")
        self.conn.execute("COMMIT")

    def new_id(self) -> str:
        """A fresh 19-digit task id, unique and increasing."""
        self._last_id = max(self._last_id + 1, time.time_ns())
        return str(self._last_id)

    def create(
        self, api_key: str, method: str, params: dict[str, Any], resource_pool: str | None
    ) -> TaskRow:
        """Insert a `pending-input` task."""
        now_ns = time.time_ns()
        task_id = self.new_id()
        self.conn.execute(
            "INSERT INTO tasks (id, api_key, method, params, resource_pool, status, create_ns,"
            " create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task_id,
                api_key,
                method,
                json.dumps(params),
                resource_pool,
                Status.PENDING_INPUT,
                now_ns,
                iso_from_ns(now_ns),
            ),
        )
        task = self.get(task_id)
        assert task is not None
        return task

    def get(self, task_id: str, api_key: str | None = None) -> TaskRow | None:
        """A task by id (restricted to *api_key*'s tasks when given)."""
        if api_key is None:
            row = self.conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
        else:
            row = self.conn.execute(
                "SELECT * FROM tasks WHERE id = ? AND api_key = ?", (task_id, api_key)
            ).fetchone()
        return TaskRow.from_row(row) if row else None

    def update(self, task_id: str, **fields: Any) -> None:
        """Set columns of a task."""
        if not fields:
            return
        if "executer" in fields and fields["executer"] is not None:
            fields["executer"] = json.dumps(fields["executer"])
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE tasks SET {cols} WHERE id = ?", (*fields.values(), task_id))

    def list_page(
        self, api_key: str, page: int, per_page: int, status: str | None
    ) -> list[TaskRow]:
        """One page of *api_key*'s tasks, newest first (empty for page or per_page < 1)."""
        if page < 1 or per_page < 1:
            return []
        where = "api_key = ?"
        args: list[Any] = [api_key]
        if status is not None:
            where += " AND status = ?"
            args.append(status)
        per_page = min(per_page, MAX_OFFSET)
        offset = min((page - 1) * per_page, MAX_OFFSET)
        rows = self.conn.execute(
            f"SELECT * FROM tasks WHERE {where} ORDER BY create_ns DESC, id DESC LIMIT ? OFFSET ?",
            (*args, per_page, offset),
        ).fetchall()
        return [TaskRow.from_row(r) for r in rows]

    def with_status(self, statuses: Iterable[str]) -> list[TaskRow]:
        """All tasks currently in one of *statuses*, oldest input first."""
        st = list(statuses)
        marks = ",".join("?" * len(st))
        rows = self.conn.execute(
            f"SELECT * FROM tasks WHERE status IN ({marks}) ORDER BY input_submit_time, create_ns",
            st,
        ).fetchall()
        return [TaskRow.from_row(r) for r in rows]

    def idempotent_task(self, api_key: str, key: str) -> str | None:
        """The task id first created with this idempotency key, if any."""
        row = self.conn.execute(
            "SELECT task_id FROM idempotency WHERE api_key = ? AND key = ?", (api_key, key)
        ).fetchone()
        return str(row[0]) if row else None

    def remember_idempotency(self, api_key: str, key: str, task_id: str) -> None:
        """Record that *key* created *task_id*."""
        self.conn.execute(
            "INSERT OR IGNORE INTO idempotency (api_key, key, task_id) VALUES (?, ?, ?)",
            (api_key, key, task_id),
        )

    def bulk_insert(self, rows: list[dict[str, Any]]) -> None:
        """Insert many finished tasks in one transaction (admin seeding)."""
        cols = list(rows[0].keys()) if rows else []
        if not cols:
            return
        sql = f"INSERT INTO tasks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows])
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
