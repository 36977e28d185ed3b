from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from printers.data import ReceiptData, TicketData
from printers.devices import Printer, open_printer
from printers.documents import render_document
from printers.errors import PrinterEnvironmentError, PrinterNotFound, PrinterOffline
from printers.jobs import PrintJob, PrintQueue, SQLiteJobStore
from tests.printers.conftest import FakeNetworkPrinter, free_port
from tests.printers.escpos_decode import decode


class Recorder:
    def __init__(self) -> None:
        self.done: list[PrintJob] = []
        self.failed: list[tuple[PrintJob, BaseException]] = []
        self.event = threading.Event()

    def success(self, job: PrintJob) -> None:
        self.done.append(job)
        self.event.set()

    def failure(self, job: PrintJob, error: BaseException) -> None:
        self.failed.append((job, error))
        self.event.set()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def queue(tmp_path: Path, recorder: Recorder) -> Iterator[PrintQueue]:
    q = PrintQueue(
        SQLiteJobStore(tmp_path / "jobs"), on_success=recorder.success, on_failure=recorder.failure
    )
    q.start()
    yield q
    q.stop()


def test_job_prints_on_the_worker_and_reports_success(
    queue: PrintQueue, recorder: Recorder, ticket: TicketData, virtual_dir: Path
) -> None:
    job_id = queue.submit(ticket, f"virtual://{virtual_dir}?width=384", lang="en")
    assert queue.wait_idle()
    job = queue.get(job_id)
    assert (job.status, job.attempts, job.error_kind) == ("done", 1, "")
    assert [j.id for j in recorder.done] == [job_id] and not recorder.failed
    (png,) = virtual_dir.glob(f"*{job_id}.png")
    with Image.open(png) as image:
        assert image.convert("1").tobytes() == render_document("ticket", ticket, 384, "en").tobytes()


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_closed_tcp_port_leaves_the_job_queued_then_retry_succeeds(
    queue: PrintQueue, recorder: Recorder, receipt: ReceiptData
) -> None:
    port = free_port()
    job_id = queue.submit(receipt, f"tcp://127.0.0.1:{port}?timeout=2", lang="ar")
    assert queue.wait_idle()
    job = queue.get(job_id)
    assert job.status == "error" and job.error_kind == "environment"
    assert "offline" in job.error_en and "الطابعة غير متصلة" in job.error_ar
    assert [j.id for j in queue.pending()] == [job_id]
    ((_, error),) = recorder.failed
    assert isinstance(error, PrinterOffline) and isinstance(error, PrinterEnvironmentError)

    fake = FakeNetworkPrinter(port)  # the printer is switched on
    try:
        queue.retry(job_id)
        assert queue.wait_idle()
        job = queue.get(job_id)
        assert (job.status, job.attempts) == ("done", 2)
        (sent,) = fake.wait_received(1)
        expected = render_document("receipt", receipt, 576, "ar")
        assert decode(sent).image().tobytes() == expected.tobytes()
        assert queue.pending() == []
    finally:
        fake.close()


@pytest.mark.expect_log(r"^print job \w+ failed: The printer was not found\.", logger="printers.jobs")
def test_unwritable_file_printer_then_fixed(
    queue: PrintQueue, recorder: Recorder, ticket: TicketData, tmp_path: Path
) -> None:
    device = tmp_path / "missing-dir" / "lp0"
    job_id = queue.submit(ticket, f"file://{device}")
    assert queue.wait_idle()
    assert queue.get(job_id).status == "error"
    assert isinstance(recorder.failed[0][1], PrinterNotFound)
    device.parent.mkdir()
    assert queue.retry_failed() == 1
    assert queue.wait_idle()
    assert queue.get(job_id).status == "done"
    assert (
        decode(device.read_bytes()).image().tobytes()
        == render_document("ticket", ticket, 576, "ar").tobytes()
    )


@pytest.mark.expect_log(r"^print job \w+ failed: The printer was not found\.", logger="printers.jobs")
def test_directory_in_place_of_a_device_is_an_environment_error(
    queue: PrintQueue, ticket: TicketData, tmp_path: Path
) -> None:
    job_id = queue.submit(ticket, f"file://{tmp_path}")
    assert queue.wait_idle()
    job = queue.get(job_id)
    assert job.status == "error" and job.error_kind == "environment"


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_a_failing_job_does_not_block_the_next(
    queue: PrintQueue, ticket: TicketData, virtual_dir: Path
) -> None:
    bad = queue.submit(ticket, f"tcp://127.0.0.1:{free_port()}?timeout=1")
    good = queue.submit(ticket, f"virtual://{virtual_dir}")
    assert queue.wait_idle()
    assert queue.get(bad).status == "error" and queue.get(good).status == "done"


def test_jobs_survive_a_restart(
    tmp_path: Path, ticket: TicketData, virtual_dir: Path, recorder: Recorder
) -> None:
    store_dir = tmp_path / "jobs"
    first = PrintQueue(SQLiteJobStore(store_dir))  # never started: the app closed before printing
    job_id = first.submit(ticket, f"virtual://{virtual_dir}")
    interrupted = first.submit(ticket, f"virtual://{virtual_dir}")
    store = SQLiteJobStore(store_dir)
    job = store.get(interrupted)
    assert job is not None
    job.status = "printing"  # the app crashed while printing this one
    store.save(job)

    second = PrintQueue(SQLiteJobStore(store_dir), on_success=recorder.success)
    second.start()
    try:
        assert second.wait_idle()
        assert {j.id for j in recorder.done} == {job_id, interrupted}
        assert len(list(virtual_dir.glob("*.png"))) == 2
    finally:
        second.stop()


def test_reprint_creates_a_new_job(queue: PrintQueue, receipt: ReceiptData, virtual_dir: Path) -> None:
    first = queue.submit(receipt, f"virtual://{virtual_dir}")
    assert queue.wait_idle()
    again = queue.reprint(first)
    assert again != first
    assert queue.wait_idle()
    assert queue.get(again).status == "done"
    assert queue.get(again).document() == receipt
    assert len(list(virtual_dir.glob("*.bin"))) == 2


def test_submit_never_blocks_on_a_slow_printer(tmp_path: Path, ticket: TicketData, virtual_dir: Path) -> None:
    release = threading.Event()

    class SlowPrinter(Printer):
        def send(self, data: bytes, *, raster: Image.Image | None = None, job_name: str = "job") -> None:
            release.wait(10)

    q = PrintQueue(
        SQLiteJobStore(tmp_path / "jobs"), printer_factory=lambda url: SlowPrinter(open_printer(url).config)
    )
    q.start()
    try:
        started = time.perf_counter()
        ids = [q.submit(ticket, f"virtual://{virtual_dir}") for _ in range(3)]
        assert time.perf_counter() - started < 1.0
        assert not q.wait_idle(timeout=0.3)  # still printing the first one
        release.set()
        assert q.wait_idle()
        assert [q.get(i).status for i in ids] == ["done"] * 3
    finally:
        q.stop()


@pytest.mark.expect_log(r"^print job \w+ failed with an unexpected error$", logger="printers.jobs", level="ERROR")
def test_a_bug_is_recorded_and_the_worker_survives(
    tmp_path: Path, ticket: TicketData, virtual_dir: Path
) -> None:
    calls = []

    def factory(url: str) -> Printer:
        calls.append(url)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return open_printer(url)

    recorder = Recorder()
    q = PrintQueue(SQLiteJobStore(tmp_path / "jobs"), printer_factory=factory, on_failure=recorder.failure)
    q.start()
    try:
        broken = q.submit(ticket, f"virtual://{virtual_dir}")
        fine = q.submit(ticket, f"virtual://{virtual_dir}")
        assert q.wait_idle()
        job = q.get(broken)
        assert (job.status, job.error_kind) == ("error", "bug") and "boom" in job.error_en
        assert not isinstance(recorder.failed[0][1], PrinterEnvironmentError)
        assert q.get(fine).status == "done"
        q.retry(broken)
        assert q.wait_idle() and q.get(broken).status == "done"
    finally:
        q.stop()


@pytest.mark.expect_log(r"^print job \w+ failed: The printer was not found\.", logger="printers.jobs")
def test_auto_retry_picks_up_environment_errors(tmp_path: Path, ticket: TicketData) -> None:
    directory = tmp_path / "later"
    q = PrintQueue(SQLiteJobStore(tmp_path / "jobs"), auto_retry_seconds=0.2)
    q.start()
    try:
        job_id = q.submit(ticket, f"virtual://{directory}")
        deadline = time.monotonic() + 5
        while q.get(job_id).status != "error" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert q.get(job_id).status == "error"
        directory.mkdir()
        while q.get(job_id).status != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert q.get(job_id).status == "done" and q.get(job_id).attempts >= 2
    finally:
        q.stop()


def test_unknown_job_ids(queue: PrintQueue) -> None:
    from printers.errors import JobNotFound

    with pytest.raises(JobNotFound):
        queue.retry("nope")
    with pytest.raises(JobNotFound):
        queue.reprint("nope")
