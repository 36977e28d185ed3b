"""A failed statement's error never carries its values: what is logged of a database error (the
traceback of an operation that failed) names no citizen (counter_app/core/db.py)."""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import text

from counter_app.core.db import Database

NATIONAL_ID = "29901011234567"
NAME = "محمد أحمد علي حسن"


def test_a_failed_statement_does_not_show_its_values(db: Database) -> None:
    with pytest.raises(Exception) as failure, db.begin() as s:
        s.execute(text("INSERT INTO no_such_table (national_id, name) VALUES (:nid, :name)"),
                  {"nid": NATIONAL_ID, "name": NAME})
    shown = "".join(traceback.format_exception(failure.value))  # the error and every cause, as logged
    assert "no_such_table" in shown  # the statement itself is there for a technician
    assert NATIONAL_ID not in shown and NAME not in shown
