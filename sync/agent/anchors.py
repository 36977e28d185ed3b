"""``shubbak audit verify --against-central``: the centre's audit chain against the heads the
central server kept of it (:mod:`sync.server.anchors`).

``shubbak audit verify`` alone proves the chain is consistent with itself and its head record;
whoever can write the database can keep it so while dropping or editing entries. Every batch the
agent sends carries the chain's head, and the server keeps each one: the local entry at each
anchored sequence must still exist and carry the hash the server saw (each hash covers every entry
before it). Asked with the centre's own key and server, as the agent asks.

The lines are plain English, as every line of ``shubbak audit verify`` is (the command line is the
technician's; :meth:`counter_app.core.audit.ChainReport.describe` says so too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import requests

from counter_app.core import audit, settings
from counter_app.core.centre import centre_code
from counter_app.core.db import Database
from sync.agent.agent import Agent, SyncError

#: Exit codes: the chain extends what the server saw; it does not (or the local chain is broken,
#: or nothing was ever anchored); the server could not be asked.
OK, FAILED, UNREACHABLE = 0, 1, 2


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    received_at: str
    flagged: bool


@dataclass
class AnchoredVerification:
    code: int = OK
    lines: list[str] = field(default_factory=list)


def fetch_anchors(agent: Agent) -> list[Anchor]:
    """Every head the server kept of this centre, oldest first (page by page)."""
    anchors: list[Anchor] = []
    after: int | None = 0
    while after is not None:
        # The cursor is in the path, which the signature covers (a query string it does not).
        response = agent.request("GET", f"/v1/audit/anchors/after/{after}" if after else "/v1/audit/anchors")
        try:
            data = response.json()
            page = data["anchors"]
            anchors.extend(Anchor(int(a["seq"]), str(a["hash"]), str(a["received_at"]), bool(a["flagged"]))
                           for a in page)
            after = None if data.get("next") is None else int(data["next"])
        except (ValueError, KeyError, TypeError, requests.JSONDecodeError) as exc:
            raise SyncError(f"malformed answer from the central server: {exc}", retryable=True) from exc
    return anchors


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "the chain's start"


def verify_against_central(db: Database, *, verify: bool | str = True) -> AnchoredVerification:
    out = AnchoredVerification()
    with db.read() as s:
        chain = audit.verify_chain(s)
        head = audit.head(s)
        began = audit.first_entry_at(s)
        server = settings.get(s, "sync.server")
        centre = centre_code(s)
    out.lines.append(chain.describe())
    if not chain.ok:
        out.code = FAILED
    if not server:
        out.lines.append(f"not anchored since {_when(began)}: the centre is not enrolled on a central server "
                         "(never anchored)")
        out.code = FAILED
        return out
    try:
        with Agent(db, verify=verify, timeout=(5.0, 30.0)) as agent:
            anchors = fetch_anchors(agent)
    except SyncError as exc:
        out.lines.append(f"could not check against the central server {server}: {exc}")
        out.code = max(out.code, UNREACHABLE) if chain.ok else FAILED
        return out
    if not anchors:
        out.lines.append(f"not anchored since {_when(began)}: the central server has seen no audit head of "
                         f"centre {centre} (never anchored)")
        out.code = FAILED
        return out
    with db.read() as s:
        found = audit.check_anchors(s, [(a.seq, a.hash) for a in anchors])
    newest = max(anchors, key=lambda a: a.seq)
    flagged = sum(a.flagged for a in anchors)
    if found.ok:
        out.lines.append(f"anchored on the central server: {found.checked} heads up to entry {newest.seq} "
                         f"(received {newest.received_at}); the local chain extends every one")
        if head is not None and head[0] > newest.seq:
            latest = max(a.received_at for a in anchors)
            out.lines.append(f"entries {newest.seq + 1}..{head[0]} not anchored since {latest} "
                             "(the next sync anchors them)")
    else:
        seq = found.first_different
        assert seq is not None
        seen = min((a for a in anchors if a.seq == seq), key=lambda a: a.received_at)
        what = "is missing" if found.missing else "has another hash"
        out.lines.append(f"audit chain does not extend what the central server saw: entry {seq} {what} "
                         f"(anchored {seen.received_at} with hash {seen.hash[:16]})")
        out.lines.append(f"the anchored entries up to {found.last_matching} match" if found.last_matching
                         else "no anchored entry matches")
        out.code = FAILED
    if flagged:
        out.lines.append(f"the central server flagged {flagged} head(s) of this centre that did not extend "
                         "the one before")
    return out

