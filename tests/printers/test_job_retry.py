"""Issue 15, item 22: a failed print job goes to its printer's address as configured now when it is
retried, and can be discarded (never printed, kept in the store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers.errors import JobNotFound
from printers.jobs import PrintJob, PrintQueue, SQLiteJobStore
from printers.samples import sample_test_page, sample_ticket
from tests.printers.conftest import free_port


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_retry_goes_to_the_current_address(tmp_path: Path, virtual_dir: Path) -> None:
    current = {"url": f"tcp://127.0.0.1:{free_port()}?timeout=1"}

    def now(job: PrintJob) -> str:
        return current["url"]

    queue = PrintQueue(SQLiteJobStore(tmp_path / "jobs"), current_url=now)
    queue.start()
    try:
        job_id = queue.submit(sample_ticket(), current["url"])
        assert queue.wait_idle(20) and queue.get(job_id).status == "error"
        current["url"] = f"virtual://{virtual_dir}"  # the supervisor corrected the address
        assert queue.retry_failed() == 1
        assert queue.wait_idle(20)
        job = queue.get(job_id)
        assert (job.status, job.printer_url, job.attempts) == ("done", current["url"], 2)
        assert len(list(virtual_dir.glob("*.png"))) == 1
    finally:
        queue.stop()


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_a_failed_job_can_be_discarded(tmp_path: Path) -> None:
    queue = PrintQueue(SQLiteJobStore(tmp_path / "jobs"))
    queue.start()
    try:
        job_id = queue.submit(sample_test_page(), f"tcp://127.0.0.1:{free_port()}?timeout=1")
        assert queue.wait_idle(20) and [job.id for job in queue.failed()] == [job_id]
        assert queue.discard(job_id).status == "discarded"
        assert queue.failed() == [] and queue.pending() == [] and queue.retry_failed() == 0
        assert queue.get(job_id).status == "discarded"  # kept, never printed
        with pytest.raises(JobNotFound):
            queue.discard(job_id)  # twice: refused
    finally:
        queue.stop()
