"""Database set-up, migrations, users, tracking codes, catalogue versions and the CLI."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from counter_app.common.catalogue_data import load_catalogue
from counter_app.common.i18n import strip_isolates
from counter_app.common.tracking import new_tracking_code, normalise_tracking_code
from counter_app.core import catalogue, outbox, users
from counter_app.core.db import Database
from counter_app.core.errors import AuthenticationFailed, DomainError, ValidationFailed
from counter_app.core.migrate import current_revision, head_revision, quick_head_revision
from counter_app.core.models import AuditEntry, OutboxEvent, Role, Service, User
from tests.helpers.factories import PASSWORD, Centre


def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    with db.begin() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert (s.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 5000
    db.dispose()


def test_quick_head_check_agrees_with_alembic() -> None:
    """Start-up skips importing Alembic when the database is at the head the files declare."""
    assert quick_head_revision() is not None
    assert quick_head_revision() == head_revision()


def test_migrations_applied_at_start_and_by_cli(db: Database, tmp_path: Path) -> None:
    assert current_revision(db.engine) == head_revision()
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = subprocess.run([sys.executable, "-m", "counter_app.cli", "db", "upgrade", "--db", url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout  # type: ignore[operator]
    fresh = Database(url, migrate=False)
    assert current_revision(fresh.engine) == head_revision()
    fresh.dispose()


def test_login_offline_with_argon2_and_lockout(db: Database, site: Centre) -> None:
    with db.begin() as s:
        user = users.authenticate(s, "Clerk1", PASSWORD)
        assert user.role == Role.CLERK
        assert user.password_hash.startswith("$argon2id$")
    for _ in range(users.MAX_FAILED_LOGINS):
        with db.begin() as s, pytest.raises(AuthenticationFailed):
            users.authenticate(s, "clerk1", "wrong password")
    with db.begin() as s, pytest.raises(AuthenticationFailed) as err:
        users.authenticate(s, "clerk1", PASSWORD)  # locked even with the right password
    assert err.value.code == "account_locked"
    minutes = err.value.params["n"]
    assert 11 <= minutes <= 15
    assert strip_isolates(err.value.message("ar")) == (
        f"الحساب موقوف مؤقتًا بعد محاولات دخول خاطئة متكررة. حاول بعد {minutes} دقيقة.")
    with db.begin() as s:
        u = s.scalars(select(User).where(User.username == "clerk1")).one()
        assert u.locked_until is not None
        u.locked_until = u.locked_until - timedelta(hours=1)
    with db.begin() as s:
        users.authenticate(s, "clerk1", PASSWORD)
    with db.read() as s:
        failures = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login.failed"))
        assert failures == users.MAX_FAILED_LOGINS


def test_unknown_user_and_weak_password(db: Database, site: Centre) -> None:
    with db.begin() as s, pytest.raises(AuthenticationFailed) as err:
        users.authenticate(s, "nobody", "whatever1")
    assert err.value.message("ar") == "اسم المستخدم أو كلمة المرور غير صحيحة."
    with db.begin() as s, pytest.raises(ValidationFailed) as weak:
        users.create_user(s, username="x", full_name="X", role=Role.CLERK, password="short")
    assert strip_isolates(weak.value.message("ar")) == "كلمة المرور قصيرة: الحد الأدنى 8 أحرف."
    assert strip_isolates(weak.value.message("en")) == "The password is too short: at least 8 characters."


def test_tracking_codes_are_phone_friendly_and_checked() -> None:
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert len(code) == 14 and code[4] == code[9] == "-"
        assert normalise_tracking_code(code) == code
        assert normalise_tracking_code(code.replace("-", "")) == code
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
        assert normalise_tracking_code(wrong) is None
    code = next(iter(codes))
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert normalise_tracking_code(arabic) == code
    swapped = code[1] + code[0] + code[2:]
    assert code[0] == code[1] or normalise_tracking_code(swapped) is None


def test_catalogue_new_version_applies_whole_and_older_refused(db: Database, site: Centre) -> None:
    base = load_catalogue()
    first = base.services[0]
    changed = dataclasses.replace(
        base, version=base.version + 1,
        services=(dataclasses.replace(first, fees=(dataclasses.replace(first.fees[0], amount_piastres=99_900),)),)
        + base.services[2:],
    )
    with db.begin() as s:
        assert catalogue.apply_catalogue(s, changed)
    with db.read() as s:
        assert catalogue.active_version(s) == base.version + 1
        svc = catalogue.get_service(s, first.code)
        assert [f.amount_piastres for f in svc.fees] == [99_900]
        assert s.get_one(Service, base.services[1].code).active is False  # dropped: deactivated, kept
    with db.begin() as s, pytest.raises(DomainError):
        catalogue.apply_catalogue(s, base)


def test_outbox_mark_sent_exactly_acknowledged(db: Database, site: Centre) -> None:
    with db.read() as s:
        pending = outbox.pending(s, limit=5)
        before = outbox.pending_count(s)
    assert len(pending) == 5 and [e.id for e in pending] == sorted(e.id for e in pending)
    with db.begin() as s:
        assert outbox.mark_sent(s, [e.uuid for e in pending[:3]] + ["not-a-real-id"]) == 3
        assert outbox.mark_sent(s, [pending[0].uuid]) == 0  # twice counts once
    with db.read() as s:
        assert outbox.pending_count(s) == before - 3
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_not(None))) == 3


def test_simulate_cli_runs_a_day(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sim.sqlite3'}"
    result = subprocess.run([sys.executable, "-m", "counter_app.cli", "simulate", "--db", url, "--citizens", "40",
                             "--counters", "2", "--seed", "3"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert out["tickets_issued"] == "40"
    assert int(out["served"]) + int(out["no_shows"]) == 40
    assert int(out.get("applications_delivered", "0")) > 10
    assert out["audit_chain"].startswith("intact")
    verify = subprocess.run([sys.executable, "-m", "counter_app.cli", "audit", "verify", "--db", url],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0


def test_migrations_match_the_models(db: Database) -> None:
    """Every table, column and index the models declare is created by the migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from counter_app.core.models import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
