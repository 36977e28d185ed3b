"""Print jobs that never block the caller and never vanish.

A job holds the document data (JSON) and the printer URL; it is stored before ``submit`` returns,
rendered and printed on a worker thread, and stays in the store after a failure, to be retried
or reprinted. ``JobStore`` is the storage interface; ``SQLiteJobStore`` keeps jobs in a directory.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from counter_app.common.i18n import Lang
from printers.codec import document_from_json, document_to_json, kind_of
from printers.devices import Printer, open_printer
from printers.documents import render_document
from printers.errors import JobNotFound, PrinterEnvironmentError, PrintError
from printers.qt import ensure_qt

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "printing", "done", "error", "discarded"]
ErrorKind = Literal["", "environment", "config", "bug"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class PrintJob:
    id: str
    printer_url: str
    kind: str
    data_json: str
    lang: Lang = "ar"
    status: JobStatus = "queued"
    attempts: int = 0
    error_kind: ErrorKind = ""
    error_en: str = ""
    error_ar: str = ""
    created_at: str = dataclasses.field(default_factory=_now)
    updated_at: str = dataclasses.field(default_factory=_now)
    printed_at: str = ""

    def document(self) -> Any:
        return document_from_json(self.kind, self.data_json)


_COLUMNS = [f.name for f in dataclasses.fields(PrintJob)]


class JobStore(Protocol):
    """Where print jobs live. The app may provide a database-backed implementation."""

    def add(self, job: PrintJob) -> None: ...

    def save(self, job: PrintJob) -> None: ...

    def get(self, job_id: str) -> PrintJob | None: ...

    def list_jobs(self, statuses: Iterable[JobStatus] | None = None) -> list[PrintJob]:
        """Jobs oldest first, optionally only those in ``statuses``."""
        ...


class SQLiteJobStore:
    """Jobs in ``<directory>/print_jobs.sqlite3``. Safe to use from several threads."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / "print_jobs.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS print_job (id TEXT PRIMARY KEY, printer_url TEXT NOT NULL,"
            " kind TEXT NOT NULL, data_json TEXT NOT NULL, lang TEXT NOT NULL, status TEXT NOT NULL,"
            " attempts INTEGER NOT NULL, error_kind TEXT NOT NULL, error_en TEXT NOT NULL,"
            " error_ar TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
            " printed_at TEXT NOT NULL)"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS print_job_status ON print_job (status, created_at)")

    def add(self, job: PrintJob) -> None:
        values = [getattr(job, name) for name in _COLUMNS]
        with self._lock:
            self._conn.execute(
                f"INSERT INTO print_job ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                values,
            )

    def save(self, job: PrintJob) -> None:
        job.updated_at = _now()
        assignments = ", ".join(f"{name} = ?" for name in _COLUMNS[1:])
        values = [getattr(job, name) for name in _COLUMNS[1:]] + [job.id]
        with self._lock:
            cursor = self._conn.execute(f"UPDATE print_job SET {assignments} WHERE id = ?", values)
        if cursor.rowcount != 1:
            raise JobNotFound(job.id)

    def get(self, job_id: str) -> PrintJob | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM print_job WHERE id = ?", (job_id,)
            ).fetchone()
        return PrintJob(*row) if row else None

    def list_jobs(self, statuses: Iterable[JobStatus] | None = None) -> list[PrintJob]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM print_job"
        params: list[str] = []
        if statuses is not None:
            params = list(statuses)
            query += f" WHERE status IN ({', '.join('?' * len(params))})"
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY created_at, rowid", params).fetchall()
        return [PrintJob(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def print_document(printer: Printer, data: Any, lang: Lang = "ar", job_name: str = "job") -> bytes:
    """Render ``data`` at the printer's width and send it, synchronously. Returns the ESC/POS bytes."""
    kind = kind_of(data)
    raster = render_document(kind, data, printer.width, lang)  # type: ignore[arg-type]
    cash = kind == "receipt" and data.payment_method == "cash"
    return printer.print_raster(raster, job_name=f"{kind}-{job_name}", cash=cash)


SuccessCallback = Callable[[PrintJob], None]
FailureCallback = Callable[[PrintJob, BaseException], None]


class PrintQueue:
    """Runs print jobs on one worker thread. Callbacks run on that thread (use a Qt signal to get
    back to the GUI thread)."""

    def __init__(
        self,
        store: JobStore,
        *,
        printer_factory: Callable[[str], Printer] = open_printer,
        on_success: SuccessCallback | None = None,
        on_failure: FailureCallback | None = None,
        auto_retry_seconds: float | None = None,
        current_url: Callable[[PrintJob], str] | None = None,
    ) -> None:
        """``current_url(job)``: the address of the job's printer as configured now; a retried job goes
        there, not to the address it had when it failed (the address may have been corrected since)."""
        self.store = store
        self.current_url = current_url
        self.printer_factory = printer_factory
        self.on_success = on_success
        self.on_failure = on_failure
        self.auto_retry_seconds = auto_retry_seconds
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = False

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker (call on the GUI/main thread). Jobs interrupted by a crash are requeued."""
        ensure_qt()
        for job in self.store.list_jobs(["printing"]):
            job.status = "queued"
            self.store.save(job)
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="shubbak-print-queue", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    # -- API --------------------------------------------------------------------------------
    def submit(self, data: Any, printer_url: str, lang: Lang = "ar") -> str:
        """Store a job for ``data`` (a document dataclass) and return its id at once."""
        job = PrintJob(
            id=uuid.uuid4().hex,
            printer_url=printer_url,
            kind=kind_of(data),
            data_json=document_to_json(data),
            lang=lang,
        )
        self.store.add(job)
        log.info("queued %s job %s for %s", job.kind, job.id, printer_url)
        self._wake()
        return job.id

    def retry(self, job_id: str, printer_url: str | None = None) -> None:
        """Queue a failed job again: on ``printer_url`` if given, else on its printer's current address."""
        job = self._get(job_id)
        if job.status == "error":
            job.status = "queued"
            job.printer_url = printer_url or self._current_url(job)
            self.store.save(job)
            self._wake()

    def discard(self, job_id: str) -> PrintJob:
        """Give up a failed job: it is kept in the store as ``discarded`` and never printed."""
        job = self._get(job_id)
        if job.status != "error":
            raise JobNotFound(job_id)  # only a failed job can be discarded (a done one is history)
        job.status = "discarded"
        self.store.save(job)
        log.info("print job %s (%s for %s) discarded", job.id, job.kind, job.printer_url)
        return job

    def failed(self) -> list[PrintJob]:
        """Failed jobs waiting for a retry or a discard, oldest first."""
        return self.store.list_jobs(["error"])

    def _current_url(self, job: PrintJob) -> str:
        if self.current_url is not None:
            try:
                return self.current_url(job) or job.printer_url
            except Exception:
                log.exception("no current address for print job %s", job.id)
        return job.printer_url

    def retry_failed(self) -> int:
        failed = self.store.list_jobs(["error"])
        for job in failed:
            self.retry(job.id)
        return len(failed)

    def reprint(self, job_id: str, printer_url: str | None = None) -> str:
        """A new job printing the same document again."""
        old = self._get(job_id)
        job = PrintJob(
            id=uuid.uuid4().hex,
            printer_url=printer_url or old.printer_url,
            kind=old.kind,
            data_json=old.data_json,
            lang=old.lang,
        )
        self.store.add(job)
        self._wake()
        return job.id

    def get(self, job_id: str) -> PrintJob:
        return self._get(job_id)

    def pending(self) -> list[PrintJob]:
        """Jobs not printed yet: queued, printing, or failed and waiting for a retry."""
        return self.store.list_jobs(["queued", "printing", "error"])

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no job is queued or printing (tests, CLI). False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < deadline:
                if not self._busy and not self.store.list_jobs(["queued", "printing"]):
                    return True
                self._cond.wait(0.02)
        return False

    # -- worker -----------------------------------------------------------------------------
    def _get(self, job_id: str) -> PrintJob:
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _next_job(self) -> PrintJob | None:
        with self._cond:
            while not self._stopping:
                queued = self.store.list_jobs(["queued"])
                if queued:
                    self._busy = True
                    return queued[0]
                self._busy = False
                self._cond.notify_all()
                if not self._cond.wait(self.auto_retry_seconds) and self.auto_retry_seconds:
                    self._requeue_stale_errors()
            return None

    def _requeue_stale_errors(self) -> None:
        for job in self.store.list_jobs(["error"]):
            if job.error_kind == "environment":
                job.status = "queued"
                job.printer_url = self._current_url(job)
                self.store.save(job)

    def _run(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                self._process(job)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _process(self, job: PrintJob) -> None:
        job.status, job.attempts = "printing", job.attempts + 1
        self.store.save(job)
        error: BaseException | None = None
        try:
            print_document(self.printer_factory(job.printer_url), job.document(), job.lang, job.id)
        except PrintError as exc:
            error = exc
            job.error_kind = "environment" if isinstance(exc, PrinterEnvironmentError) else "config"
            job.error_en, job.error_ar = exc.message("en"), exc.message("ar")
            log.warning("print job %s failed: %s", job.id, exc)
        except Exception as exc:  # a bug: keep the job, report it, keep the worker alive
            error = exc
            job.error_kind, job.error_en, job.error_ar = "bug", f"{type(exc).__name__}: {exc}", ""
            log.exception("print job %s failed with an unexpected error", job.id)
        if error is None:
            job.status, job.printed_at = "done", _now()
            job.error_kind, job.error_en, job.error_ar = "", "", ""
        else:
            job.status = "error"
        self.store.save(job)
        self._callback(job, error)

    def _callback(self, job: PrintJob, error: BaseException | None) -> None:
        try:
            if error is None and self.on_success is not None:
                self.on_success(job)
            elif error is not None and self.on_failure is not None:
                self.on_failure(job, error)
        except Exception:
            log.exception("print job callback raised")
