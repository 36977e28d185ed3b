"""``shubbak support bundle``: the zip holds the logs, the versions, the schema revision, the sync
status and the settings, and no personal data and no secret (counter_app/support.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from counter_app import cli
from counter_app.common.logs import LOG_DIR_ENV, configure_logging, reset_logging
from counter_app.core import outbox, settings, simulate
from counter_app.core.migrate import head_revision
from counter_app.core.models import Application, Notification, Refund, User
from tests.helpers.factories import Centre

ROOT = Path(__file__).resolve().parents[2]
SMTP_PASSWORD = "s3cret-Passw0rd"
SMS_TOKEN = "tok-9f8e7d6c"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKey\n-----END PRIVATE KEY-----"


def personal_values(site: Centre) -> set[str]:
    """Every citizen's name, national ID, phone (stored and as typed) and e-mail in the database,
    and the staff's full names."""
    values: set[str] = set()
    with site.db.read() as s:
        for row in s.execute(select(Application.applicant_name, Application.national_id, Application.phone,
                                    Application.email, Application.collected_by_name,
                                    Application.collected_by_national_id)):
            values.update(v for v in row if v)
        for name, nid in s.execute(select(Refund.paid_to_name, Refund.paid_to_national_id)):
            values.update(v for v in (name, nid) if v)
        values.update(s.scalars(select(Notification.recipient)))
        values.update(s.scalars(select(User.full_name)))  # the staff's names are not for the bundle either
    for value in list(values):
        if value.startswith("+20"):
            values.add("0" + value[3:])  # the phone as a clerk types it
    return values


def test_the_bundle_has_what_a_technician_needs_and_no_personal_data(site: Centre, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    summary = simulate.run(site.db, citizens=12, counters=2, seed=7)
    assert summary.audit_ok
    personal = personal_values(site)
    with site.db.read() as s:
        nid, phone = s.execute(select(Application.national_id, Application.phone)
                               .where(Application.phone.is_not(None)).limit(1)).one()
        waiting = outbox.pending_count(s)
    assert len(personal) > 20 and nid in personal and phone in personal
    with site.db.begin() as s:
        settings.put(s, "sync.private_key", PRIVATE_KEY)

    data_dir = tmp_path / "data"
    config = tmp_path / "counter.ini"
    config.write_text(f"[app]\nlang = ar\ndata_dir = {data_dir}\ncounter = 1\n\n[notifications]\n"
                      f"smtp_host = 127.0.0.1\nsmtp_password = {SMTP_PASSWORD}\nsms_token = {SMS_TOKEN}\n",
                      encoding="utf-8")
    # the counter app's log, with a line that names a citizen's national ID and phone
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    log_file = configure_logging("counter-app", data_dir=data_dir)
    assert log_file is not None
    logging.getLogger("counter_app.ui.counter.intake").info("intake for %s, phone %s", nid, phone)
    reset_logging()
    # an older, rotated file written before the redaction existed: the bundle is the safety net
    (log_file.parent / "counter-app.log.1").write_text(f"2024-01-01 INFO old line {nid} {phone} {phone[3:]} "
                                                      f"mona@example.com\n", encoding="utf-8")
    service_logs = tmp_path / "service-logs"  # a sync-agent service that logs where $SHUBBAK_LOG_DIR says
    service_logs.mkdir()
    (service_logs / "sync-agent.log").write_text("2024-01-01 WARNING sync failed: timeout\n", encoding="utf-8")

    out = tmp_path / "for-support" / "bundle.zip"
    env = {**os.environ, "PYTHONPATH": str(ROOT), LOG_DIR_ENV: str(service_logs),
           "XDG_STATE_HOME": str(tmp_path / "state")}  # the user's log directory: empty here
    result = subprocess.run([sys.executable, "-m", "counter_app.cli", "support", "bundle", "--db", site.db.url,
                             "--config", str(config), "--out", str(out)],
                            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"support bundle written to {out}" in result.stdout
    assert not out.with_name("bundle.zip.part").exists()

    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    logs = sorted(name.rsplit("/", 1)[1] for name in files if name.startswith("logs/"))
    assert logs == ["counter-app.log", "counter-app.log.1", "shubbak.log", "sync-agent.log"], sorted(files)
    assert {"README.txt", "versions.txt", "database.txt", "sync-status.txt", "settings.txt"} <= set(files)

    versions = files["versions.txt"]
    assert "shubbak: " in versions and f"python: {sys.version.split()[0]}" in versions
    assert "SQLAlchemy: 2." in versions and "qt: 6." in versions and "os: " in versions
    assert f"schema revision: {head_revision()}" in files["database.txt"]
    assert f"waiting: {waiting}\n" in files["sync-status.txt"] and "last_success: never" in files["sync-status.txt"]
    settings_text = files["settings.txt"]
    assert "queue.fairness = strict" in settings_text and "smtp_host = 127.0.0.1" in settings_text
    assert "sync.private_key = (removed)" in settings_text and "smtp_password = (removed)" in settings_text
    assert "sms_token = (removed)" in settings_text
    current = next(text for name, text in files.items() if name.endswith("/counter-app.log"))
    assert "intake for [national-id], phone [phone]" in current
    rotated = next(text for name, text in files.items() if name.endswith("/counter-app.log.1"))
    assert rotated == "2024-01-01 INFO old line [national-id] [phone] [phone] [e-mail]\n"

    for name, text in files.items():
        for value in personal:
            assert value not in text, f"{value!r} in {name}"
        for secret in (SMTP_PASSWORD, SMS_TOKEN, "BEGIN PRIVATE KEY", "mona@example.com"):
            assert secret not in text, f"{secret!r} in {name}"


def test_a_missing_database_is_reported_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "centre.sqlite3"
    out = tmp_path / "bundle.zip"
    assert cli.main(["support", "bundle", "--db", f"sqlite:///{missing}", "--data-dir", str(tmp_path / "data"),
                     "--out", str(out)]) == 0
    assert not missing.exists() and not missing.parent.exists()
    with zipfile.ZipFile(out) as archive:
        assert "the file does not exist" in archive.read("database.txt").decode()
        assert archive.read("sync-status.txt").decode() == "no database file\n"
        assert "centre settings" in archive.read("settings.txt").decode()
    assert "support bundle written to" in capsys.readouterr().out
