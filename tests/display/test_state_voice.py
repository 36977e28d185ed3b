"""The display's state and texts, the clips and the announcement queue."""

from __future__ import annotations

import threading
import time
import wave
from datetime import UTC, timedelta
from io import BytesIO

from PySide6.QtWidgets import QApplication

from counter_app.common.i18n import strip_isolates
from counter_app.core import queue
from counter_app.core.clock import utcnow
from counter_app.core.db import Database
from queue_display import texts, voice
from queue_display.announcer import Announcement, Announcer
from queue_display.state import GroupWaiting, TickerService, load_state
from tests.helpers.bidi import assert_reads_in_order
from tests.helpers.factories import Centre


def issue(db: Database, letter: str, n: int = 1) -> None:
    with db.begin() as s:
        for _ in range(n):
            queue.issue_ticket(s, letter)


def test_state_now_calling_recent_waiting_ticker(db: Database, site: Centre) -> None:
    issue(db, "A", 3)
    issue(db, "B", 2)
    with db.begin() as s:
        first = queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])
        second = queue.call_next(s, site.counter_ids[1], site.clerk_ids[1])
        assert first is not None and second is not None
        queue.recall(s, first.id, site.counter_ids[0], site.clerk_ids[0])
    with db.read() as s:
        state = load_state(s)
        only_b = load_state(s, frozenset({"B"}))
    calls = [(c.ticket, c.counter_number, c.recall) for c in state.calls]
    assert calls[0] == (f"{first.letter}-{first.number:03d}", 1, True)  # the recall is the newest call
    assert [c[1] for c in calls] == [1, 2, 1]
    assert sum(g.waiting for g in state.waiting) == 3
    assert state.centre_ar and state.centre_en
    assert len(state.ticker) >= 13 and all(t.fee_piastres > 0 for t in state.ticker)
    assert all(c.group == "B" for c in only_b.calls) and [g.letter for g in only_b.waiting] == ["B"]


def test_state_shows_only_today(db: Database, site: Centre) -> None:
    issue(db, "A", 2)
    with db.begin() as s:
        queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])
    with db.read() as s:
        tomorrow = load_state(s, now=utcnow() + timedelta(days=1))
    assert tomorrow.calls == () and all(g.waiting == 0 for g in tomorrow.waiting)


def test_number_words() -> None:
    assert voice.number_words_ar(42) == ["n2", "w40"]
    assert voice.number_words_ar(7) == ["n7"]
    assert voice.number_words_ar(140) == ["n100", "n40"]
    assert voice.number_words_ar(215) == ["n200", "n15"]
    assert voice.number_words_en(42) == ["n40", "n2"]
    assert voice.number_words_en(305) == ["n3", "hundred", "n5"]
    assert voice.phrase("ar", "a", 42, 3) == ["ticket", "A", "n2", "w40", "counter", "n3"]


def test_every_number_has_its_clips() -> None:
    for lang in ("ar", "en"):
        for n in range(1000):
            for path in voice.clip_paths([lang], "A", n, n % 40 + 1):
                assert path is None or path.exists(), path


def test_join_makes_one_wav_ar_then_en() -> None:
    only_ar, seconds_ar = voice.join(voice.clip_paths(["ar"], "A", 42, 3))
    both, seconds = voice.join(voice.clip_paths(["ar", "en"], "A", 42, 3))
    with wave.open(BytesIO(both)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert abs(w.getnframes() / w.getframerate() - seconds) < 0.01
    assert 1.5 < seconds_ar < seconds < 15


class RecordingPlayer:
    """Records when each announcement played; takes a fixed time per announcement."""

    def __init__(self, seconds: float = 0.15) -> None:
        self.seconds = seconds
        self.played: list[tuple[float, float, int]] = []
        self.lock = threading.Lock()

    def play(self, wav: bytes, seconds: float) -> None:
        start = time.monotonic()
        time.sleep(self.seconds)
        with self.lock:
            self.played.append((start, time.monotonic(), len(wav)))


def test_announcements_queue_in_order_and_never_overlap() -> None:
    player = RecordingPlayer()
    started: list[str] = []
    announcer = Announcer(["ar", "en"], player, on_start=lambda a: started.append(a.ticket))
    try:
        items = [Announcement("A", 1, 1), Announcement("B", 42, 3), Announcement("A", 2, 2)]
        announcer.submit(items[0])
        time.sleep(0.05)  # the first is playing when the others come
        for item in items[1:]:
            announcer.submit(item)
        deadline = time.monotonic() + 10
        while len(player.played) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        announcer.stop()
    assert started == ["A-001", "B-042", "A-002"]
    assert len(player.played) == 3
    for (_s1, end1, _), (start2, _e2, _) in zip(player.played, player.played[1:], strict=False):
        assert start2 >= end1  # the next one starts only after the previous one ended


def test_ticket_numbers_are_western_and_read_like_the_ticket(qapp: QApplication) -> None:
    """The ticket prints ``A-042``: the display shows the same characters in the same order in
    both languages (the Arabic-Indic zero is a dot, «A-٠٤٢» read as «A--٤٢»)."""
    for ticket in (texts.ticket_text("A", 42), texts.ticket_text("C", 10)):
        assert not any("\u0660" <= c <= "\u0669" for c in ticket)
        assert_reads_in_order(ticket, strip_isolates(ticket), rtl=True)
    assert texts.ticket_text("A", 42) == "\u2066A-042\u2069"


def test_clock_in_arabic_indic_digits_from_babel() -> None:
    from datetime import date, datetime

    moment = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)  # 14:05 in Cairo
    assert strip_isolates(texts.clock_text("ar", date(2026, 11, 23), moment)) == "الاثنين ٢٣ نوفمبر ٢٠٢٦   ١٤:٠٥"
    assert strip_isolates(texts.clock_text("en", date(2026, 11, 23), moment)) == "Monday 23 November 2026   14:05"
    assert texts.counter_text("ar", 12) == "\u2066١٢\u2069" and texts.counter_text("en", 12) == "\u206612\u2069"


def test_waiting_counts_take_the_plural_form_of_their_number() -> None:
    def line(lang: str, n: int) -> str:
        text = texts.waiting_text(lang, [GroupWaiting("A", "الأحوال المدنية", "Civil registry", n)])
        return strip_isolates(text).replace(texts.NO_BREAK_SPACE, " ")

    for n, phrase in ((0, "لا أحد"), (1, "شخص واحد"), (2, "شخصان"), (3, "٣ أشخاص"), (10, "١٠ أشخاص"),
                      (11, "١١ شخصًا"), (99, "٩٩ شخصًا"), (100, "١٠٠ شخص"), (103, "١٠٣ أشخاص")):
        assert line("ar", n) == f"المنتظرون — الأحوال المدنية: {phrase}", n
    assert line("en", 1) == "Waiting — Civil registry: 1 person"
    assert line("en", 0) == "Waiting — Civil registry: 0 people"
    two = [GroupWaiting("A", "أ", "Alpha", 2), GroupWaiting("B", "ب", "Beta", 12)]
    assert strip_isolates(texts.waiting_text("en", two)).replace(texts.NO_BREAK_SPACE, " ") == "Waiting — Alpha: 2 people   •   Beta: 12 people"
    assert texts.waiting_text("ar", []) == ""


def test_ticker_lists_documents_and_the_fee_in_the_display_s_digits() -> None:
    service = TickerService("شهادة القيد", "Registration certificate", ("بطاقة الرقم القومي", "صورة شخصية"),
                            ("National ID card", "Photo"), 2500)
    bare = TickerService("خدمة", "Service", (), (), 123456)
    ar = strip_isolates(texts.ticker_text("ar", [service, bare]))
    assert ar == ("شهادة القيد: بطاقة الرقم القومي، صورة شخصية — الرسوم ٢٥٫٠٠ ج.م" + texts.TICKER_SEPARATOR
                  + "خدمة: لا مستندات مطلوبة — الرسوم ١٬٢٣٤٫٥٦ ج.م")
    assert strip_isolates(texts.ticker_text("en", [service])) == (
        "Registration certificate: National ID card, Photo — fee EGP 25.00")
