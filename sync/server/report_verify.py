"""``central-server report verify --from YYYY-MM-DD --to YYYY-MM-DD [--db URL]``: the key figures
served from the rollups (:func:`sync.server.kpis.central_kpis`) against the same figures computed
from the raw events (:func:`sync.server.kpis.central_kpis_raw`), row by row.

Counts, sums of money and applications must be equal; means equal to a microsecond; a median or
90th percentile from the rollups' histograms is the start of the raw value's bucket
(:mod:`sync.server.rollups` states the precision). Events the raw computation cannot read (stored
before validation, or changed by hand) never reached the rollups: their count is reported, not a
difference. Exit status 0 when equal, 1 when a figure differs, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from counter_app.common.clock import local_day, utcnow
from sync.server.db import DEFAULT_URL, ServerDatabase
from sync.server.kpis import BadRange, central_kpis, central_kpis_raw, parse_range
from sync.server.rollups import LAST_BUCKET, bucket, bucket_start_s

MEAN_TOLERANCE_S = 1e-6
PERCENTILES = ("median_s", "p90_s")


def _width_at(value: float) -> float:
    b = bucket(int(max(value, 0) * 1_000_000))
    return float("inf") if b == LAST_BUCKET else bucket_start_s(b + 1) - bucket_start_s(b)


def _percentile_ok(served: float, raw: float) -> bool:
    """``served`` is the bucket start of ``raw`` (for a median of two: of each middle value, averaged)."""
    floor = max(raw, 0.0)
    return served <= floor + MEAN_TOLERANCE_S and floor - served < _width_at(floor) + MEAN_TOLERANCE_S


def differences(served: Any, raw: Any, where: str = "") -> list[str]:
    """Where two answers of :mod:`sync.server.kpis` differ beyond the rollups' stated precision."""
    if isinstance(served, dict) and isinstance(raw, dict):
        out: list[str] = []
        for key in sorted(set(served) | set(raw) - {"skipped_events"}, key=str):
            if key == "skipped_events":
                continue
            if key not in served or key not in raw:
                out.append(f"{where}/{key}: only in {'the rollups' if key in served else 'the raw figures'}")
                continue
            a, b = served[key], raw[key]
            if key in PERCENTILES and isinstance(a, float | int) and isinstance(b, float | int):
                if not _percentile_ok(float(a), float(b)):
                    out.append(f"{where}/{key}: rollups {a} raw {b}")
            elif key == "mean_s" and isinstance(a, float | int) and isinstance(b, float | int):
                if abs(float(a) - float(b)) > MEAN_TOLERANCE_S:
                    out.append(f"{where}/{key}: rollups {a} raw {b}")
            else:
                out.extend(differences(a, b, f"{where}/{key}"))
        return out
    if isinstance(served, list) and isinstance(raw, list):
        if len(served) != len(raw):
            return [f"{where}: {len(served)} rows in the rollups, {len(raw)} in the raw figures"]
        out = []
        for i, (a, b) in enumerate(zip(served, raw, strict=True)):
            label = next((str(a[k]) for k in ("governorate", "centre", "service") if isinstance(a, dict) and k in a), i)
            out.extend(differences(a, b, f"{where}[{label}]"))
        return out
    return [] if served == raw else [f"{where}: rollups {served!r} raw {raw!r}"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="central-server report",
                                     description="check the reports' rollups against the raw events")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="compare the figures of a period, rollups against raw events")
    verify.add_argument("--from", dest="first", required=True, help="first centre day, YYYY-MM-DD")
    verify.add_argument("--to", dest="last", required=True, help="last centre day, YYYY-MM-DD (inclusive)")
    verify.add_argument("--db", default=os.environ.get("SHUBBAK_CENTRAL_DB", DEFAULT_URL))
    verify.add_argument("--read-db", default=os.environ.get("SHUBBAK_CENTRAL_READ_DB", ""),
                        help="read there instead (a replica of --db: the raw scan off the primary)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        first, last = parse_range(args.first, args.last, local_day(utcnow()))
    except BadRange as exc:
        print(f"report verify: {exc}", file=sys.stderr)
        return 2
    db = ServerDatabase(args.read_db, migrate=False, read_only=True) if args.read_db else ServerDatabase(args.db)
    try:
        with db.sessions() as s:
            served, raw = central_kpis(s, first, last), central_kpis_raw(s, first, last)
    finally:
        db.dispose()
    found = differences(served, raw)
    for line in found:
        print(line)
    rows = len(raw["by_centre"]) + len(raw["by_service"]) + len(raw["by_governorate"]) + 1
    verdict = f"{len(found)} differences" if found else "equal"
    print(f"report verify {first}..{last}: {verdict} ({rows} rows compared; {raw['skipped_events']} stored events "
          f"the raw computation could not read, never in the rollups)")
    return 1 if found else 0
