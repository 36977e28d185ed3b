"""A damaged centre database (issue 15, item 25): every command-line entry point says, in the
user's language, that the file is damaged, names it and says to restore the last backup; exit
code 2; no traceback; the file is never modified. The files are built once for the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app import cli
from counter_app.common.i18n import strip_isolates
from counter_app.core.db import Database, check_file
from counter_app.core.errors import DatabaseCorrupt
from tests.helpers.corrupt import KINDS, build_corrupt_files, snapshot

ENTRY_POINTS = (("db", "upgrade"), ("audit", "verify"), ("sync", "status"), ("db", "check"))
SAYS = {"ar": ("تالف", "استرجع آخر نسخة احتياطية"), "en": ("is damaged", "Restore the last backup")}


@pytest.fixture(scope="module")
def corrupt_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corrupt_files(tmp_path_factory.mktemp("corrupt"))


@pytest.fixture
def lang_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SHUBBAK_DB", raising=False)
    yield


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ENTRY_POINTS, ids=" ".join)
def test_every_command_says_the_file_is_damaged_and_leaves_it_alone(
        corrupt_files: dict[str, Path], kind: str, command: tuple[str, str], lang_env: None,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = corrupt_files[kind]
    lang = "en" if command == ("audit", "verify") else "ar"
    monkeypatch.setenv("SHUBBAK_LANG", lang)
    before = snapshot(path)
    code = cli.main([*command, "--db", f"sqlite:///{path}"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err and out == ""
    message = err.strip()
    assert len(message.splitlines()) == 1, message
    assert str(path) in message and all(words in message for words in SAYS[lang]), message
    assert snapshot(path) == before  # same bytes, same mtime, nothing left beside it


@pytest.mark.parametrize("kind", KINDS)
def test_the_start_up_check_refuses_each_kind_before_anything_opens_the_file(
        corrupt_files: dict[str, Path], kind: str) -> None:
    path = corrupt_files[kind]
    before = snapshot(path)
    with pytest.raises(DatabaseCorrupt) as caught:
        Database(f"sqlite:///{path}")
    assert str(path) in strip_isolates(caught.value.message("en"))
    with pytest.raises(DatabaseCorrupt):
        check_file(path, full=True)
    assert snapshot(path) == before


def test_damaged_pages_met_after_start_up_give_the_same_clear_error(corrupt_files: dict[str, Path]) -> None:
    """The schema of this file reads fine (``db upgrade`` used to pass it silently); a query
    that reaches the damaged page gets DatabaseCorrupt, not the driver's error."""
    from sqlalchemy import select

    from counter_app.core.models import User

    path = corrupt_files["damaged_pages"]
    before = snapshot(path)
    db = Database(f"sqlite:///{path}", check=False, migrate=False)
    try:
        with pytest.raises(DatabaseCorrupt), db.read() as s:
            s.execute(select(User.username, User.full_name)).all()
    finally:
        db.dispose()
    assert snapshot(path).data == before.data


def test_a_healthy_file_passes_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        lang_env: None) -> None:
    url = f"sqlite:///{tmp_path / 'centre.sqlite3'}"
    assert cli.main(["db", "upgrade", "--db", url]) == 0
    assert cli.main(["db", "check", "--db", url]) == 0
    assert "integrity check ok" in capsys.readouterr().out


def test_queue_display_refuses_to_start_on_a_damaged_file(corrupt_files: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from queue_display.app import main

    for kind, lang in zip(KINDS, ("ar", "en", "ar", "en"), strict=True):
        path = corrupt_files[kind]
        before = snapshot(path)
        assert main(["--db", f"sqlite:///{path}", "--lang", lang, "--voice", "none", "--windowed"]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and all(words in err for words in SAYS[lang]) and "Traceback" not in err
        assert snapshot(path) == before


@pytest.mark.parametrize("kind", KINDS)
def test_the_sync_agent_says_the_file_is_damaged_and_leaves_it_alone(
        corrupt_files: dict[str, Path], kind: str, lang_env: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from sync.agent.__main__ import main

    path = corrupt_files[kind]
    monkeypatch.setenv("SHUBBAK_LANG", "ar")
    before = snapshot(path)
    code = main(["--db", f"sqlite:///{path}", "--once"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and str(path) in err and all(w in err for w in SAYS["ar"]), err
    assert snapshot(path) == before
