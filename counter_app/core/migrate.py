"""Alembic migrations, applied at start-up and by ``shubbak db upgrade``."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


_REVISION = re.compile(r"^(down_)?revision\b[^=]*=\s*['\"]?(\w*)['\"]?", re.MULTILINE)


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def quick_head_revision() -> str | None:
    """The head read from the revision files' ``revision``/``down_revision`` lines, without
    importing Alembic (a third of a second at every start); None if the files are not a chain."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"):
        found = {bool(m.group(1)): m.group(2) for m in _REVISION.finditer(path.read_text(encoding="utf-8"))}
        if False not in found:
            return None
        revisions.add(found[False])
        if found.get(True) and found[True] != "None":
            parents.add(found[True])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    if revision == "head":
        current = current_revision(engine)
        if current is not None and current == head_revision_cached():
            return
    from alembic import command

    log.info("migrating database to %s", revision)
    command.upgrade(alembic_config(engine), revision)


def head_revision_cached() -> str | None:
    """``quick_head_revision`` when it can tell, else Alembic's own answer."""
    return quick_head_revision() or head_revision()
