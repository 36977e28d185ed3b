"""The supervisor's «Centre settings» tab: the queue settings, the appointments' check-in window at
the kiosk (minutes before and after the booked time) and the centre's public details for
the citizens' portal (address in Arabic and English, opening hours as lines of days and times,
portal address). Everything goes through ``services.centre_settings``: one save is one
transaction, checked before anything is written, audited; a refusal says why in the user's
language and leaves every field as typed. Ctrl+S saves; a second press while saving is ignored."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.i18n import LRI, N_
from counter_app.common.portal import WEEK, day_name
from counter_app.services import centre_settings
from counter_app.services.centre_settings import CentreSettings, HoursRow, Saved
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import isolate
from counter_app.ui.shell.operations import Lane
from counter_app.ui.supervisor.supervisor_backoffice import WorkerTab

#: The most lines of opening hours (one per day of the week).
MAX_HOURS_LINES = 7
#: The times a line offers, a quarter of an hour apart, the day's end (24:00) last.
TIMES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60 + 1, 15)]


class HoursLine(QWidget):
    """One line of the opening hours: from day, to day, opening and closing time, remove."""

    def __init__(self, page: CentreSettingsTab, row: HoursRow) -> None:
        super().__init__(page.hours_box)
        self.first, self.last = QComboBox(self), QComboBox(self)
        self.first.setObjectName("hoursFirst")
        self.last.setObjectName("hoursLast")
        # times from a list (a quarter of an hour apart, typed to jump: "08:3"): a time edit under an
        # Arabic window shows one time and holds another (its sections follow the visual order)
        self.opens, self.closes = QComboBox(self), QComboBox(self)
        for combo, value in ((self.opens, row.opens), (self.closes, row.closes)):
            combo.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # 08:00 reads the same in Arabic
            times = [*TIMES, value] if value not in TIMES else TIMES
            for time in sorted(times):
                combo.addItem(time, time)
            combo.setCurrentIndex(combo.findData(value))
        self.opens.setObjectName("hoursOpens")
        self.closes.setObjectName("hoursCloses")
        self.to_label, self.opens_label, self.closes_label = QLabel(self), QLabel(self), QLabel(self)
        self.remove = QPushButton(self)
        self.remove.setObjectName("hoursRemove")
        self.remove.clicked.connect(lambda: page.remove_line(self))
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        for widget in (self.first, self.to_label, self.last, self.opens_label, self.opens, self.closes_label,
                       self.closes, self.remove):
            box.addWidget(widget)
        box.addStretch(1)
        self.lang = page.ctx.lang
        self.retranslate()
        self.first.setCurrentIndex(self.first.findData(row.first))
        self.last.setCurrentIndex(self.last.findData(row.last))

    def retranslate(self) -> None:
        lang, tr = self.lang.lang, self.lang.text
        for combo in (self.first, self.last):
            current = combo.currentData()
            combo.clear()
            for day in WEEK:
                combo.addItem(day_name(day, lang), day)
            combo.setCurrentIndex(max(combo.findData(current), 0))
        self.to_label.setText(tr(N_("supervisor.settings_hours_to")))
        self.opens_label.setText(tr(N_("supervisor.settings_hours_opens")))
        self.closes_label.setText(tr(N_("supervisor.settings_hours_closes")))
        self.remove.setText(tr(N_("supervisor.settings_hours_remove")))

    def row(self) -> HoursRow:
        return HoursRow(str(self.first.currentData()), str(self.last.currentData()),
                        str(self.opens.currentData()), str(self.closes.currentData()))


def hours_preview(rows: tuple[HoursRow, ...], lang: str) -> str:
    """The lines as the portal says them (``portal.opening_hours_text``), a line not yet valid too,
    each span of times kept left to right inside an Arabic sentence (else "09:00–13:30" shows as
    "13:30–09:00")."""
    def name(day: str) -> str:
        return day_name(day, lang) if day in WEEK else "—"  # a list being refilled has no day for a moment

    parts = []
    for r in rows:
        days = name(r.first) if r.first == r.last else f"{name(r.first)} – {name(r.last)}"
        parts.append(f"{days} {isolate(f'{r.opens}–{r.closes}', LRI)}")
    return " · ".join(parts)


class CentreSettingsTab(WorkerTab):
    """The queue settings and the centre's public details, saved together."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("centreSettings")
        self.message.setObjectName("settingsMessage")
        self.loaded: CentreSettings | None = None
        self.saving = False
        self.lines: list[HoursLine] = []

        # the queue
        self.queue_box = QGroupBox(self)
        self.fairness = QComboBox(self.queue_box)
        self.fairness.setObjectName("fairness")
        self.ratio = QSpinBox(self.queue_box)
        self.ratio.setObjectName("fairnessRatio")
        self.ratio.setRange(1, centre_settings.RATIO_MAX)
        self.fairness.currentIndexChanged.connect(self._fairness_changed)
        self.numbers: dict[str, QSpinBox] = {}
        queue = QFormLayout(self.queue_box)
        queue.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # long labels above their fields
        self.queue_labels = {key: QLabel(self.queue_box) for key in (
            N_("supervisor.settings_fairness"), N_("supervisor.settings_ratio"), N_("supervisor.settings_recalls"),
            N_("supervisor.settings_estimate"), N_("supervisor.settings_sms_ahead"))}
        queue.addRow(self.queue_labels["supervisor.settings_fairness"], self.fairness)
        queue.addRow(self.queue_labels["supervisor.settings_ratio"], self.ratio)
        for key, text_id, name in (("queue.max_recalls", "supervisor.settings_recalls", "maxRecalls"),
                                 ("queue.estimate_window", "supervisor.settings_estimate", "estimateWindow"),
                                 ("queue.sms_ahead", "supervisor.settings_sms_ahead", "smsAhead")):
            spin = QSpinBox(self.queue_box)
            spin.setObjectName(name)
            spin.setRange(*centre_settings.NUMBER_LIMITS[key])
            self.numbers[key] = spin
            queue.addRow(self.queue_labels[text_id], spin)

        # the appointments' check-in window at the kiosk
        self.checkin_box = QGroupBox(self)
        checkin = QFormLayout(self.checkin_box)  # beside the public details: wide, each label beside its field
        self.checkin_labels = {key: QLabel(self.checkin_box) for key in (
            N_("supervisor.settings_checkin_early"), N_("supervisor.settings_checkin_late"))}
        for key, text_id, name in (("appointments.early_minutes", "supervisor.settings_checkin_early", "checkinEarly"),
                                   ("appointments.late_minutes", "supervisor.settings_checkin_late", "checkinLate")):
            spin = QSpinBox(self.checkin_box)
            spin.setObjectName(name)
            spin.setMaximumWidth(160)  # minutes: a short number, beside its label
            spin.setRange(*centre_settings.NUMBER_LIMITS[key])
            self.numbers[key] = spin
            self.checkin_labels[text_id].setBuddy(spin)
            checkin.addRow(self.checkin_labels[text_id], spin)
        self.checkin_note = QLabel(self.checkin_box)
        self.checkin_note.setObjectName("checkinNote")
        self.checkin_note.setWordWrap(True)
        checkin.addRow(self.checkin_note)

        # the public details
        self.public_box = QGroupBox(self)
        self.address_ar, self.address_en, self.portal = (QLineEdit(self.public_box) for _ in range(3))
        self.address_ar.setObjectName("addressAr")
        self.address_en.setObjectName("addressEn")
        self.portal.setObjectName("portalUrl")
        for field in (self.address_ar, self.address_en):
            field.setMaxLength(centre_settings.ADDRESS_MAX)
        self.address_ar.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.address_en.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.portal.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # a URL reads left to right
        self.portal.setPlaceholderText("https://")
        self.hours_box = QWidget(self.public_box)
        self.hours_lines = QVBoxLayout(self.hours_box)
        self.hours_lines.setContentsMargins(0, 0, 0, 0)
        self.hours_note = QLabel(self.public_box)
        self.hours_note.setObjectName("hoursPreview")
        self.hours_note.setWordWrap(True)
        self.add_line_button = QPushButton(self.public_box)
        self.add_line_button.setObjectName("hoursAdd")
        self.add_line_button.clicked.connect(self.add_line)
        public = QFormLayout(self.public_box)
        self.public_labels = {key: QLabel(self.public_box) for key in (
            N_("supervisor.settings_address_ar"), N_("supervisor.settings_address_en"),
            N_("supervisor.settings_portal"), N_("supervisor.settings_hours"))}
        public.addRow(self.public_labels["supervisor.settings_address_ar"], self.address_ar)
        public.addRow(self.public_labels["supervisor.settings_address_en"], self.address_en)
        public.addRow(self.public_labels["supervisor.settings_portal"], self.portal)
        public.addRow(self.public_labels["supervisor.settings_hours"], self.hours_box)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_line_button)
        add_row.addWidget(self.hours_note, 1)
        public.addRow("", add_row)

        # save / undo
        self.save_button, self.undo_button = QPushButton(self), QPushButton(self)
        self.save_button.setObjectName("saveSettings")
        self.undo_button.setObjectName("undoSettings")
        self.save_button.clicked.connect(self.save)
        self.undo_button.clicked.connect(self.undo)
        self.save_button.setAutoDefault(True)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)

        right = QVBoxLayout()  # the queue's column is the taller: the check-in window goes on this side
        right.addWidget(self.public_box)
        right.addWidget(self.checkin_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(self.queue_box, 2)
        columns.addLayout(right, 3)
        box = QVBoxLayout(self)
        box.addLayout(columns)
        box.addLayout(buttons)
        box.addStretch(1)
        box.addWidget(self.message)

        t = self.t
        t(self.queue_box.setTitle, "supervisor.settings_queue_title")
        t(self.public_box.setTitle, "supervisor.settings_public_title")
        t(self.checkin_box.setTitle, "supervisor.settings_checkin_title")
        t(self.checkin_note.setText, "supervisor.settings_checkin_note")
        for key, label in {**self.queue_labels, **self.checkin_labels, **self.public_labels}.items():
            t(label.setText, key)
        t(self.add_line_button.setText, "supervisor.settings_hours_add")
        t(self.save_button.setText, "common.save")
        t(self.undo_button.setText, "supervisor.settings_undo")
        t.also(self.render_tab)
        self.render_tab()

    # -- loading ---------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # shown again: what is stored now (another PC or `shubbak centre details` may have changed
        # it), unless the supervisor has edits not saved yet
        if not self.busy and not self.saving and (self.loaded is None or self.edited() == self.loaded):
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: centre_settings.load(db, uid), self.fill)

    def fill(self, data: CentreSettings) -> None:
        """Show ``data`` in the fields (what is stored now)."""
        self.loaded = data
        self.fairness.setCurrentIndex(0 if data.strict else 1)
        self.ratio.setValue(data.ratio)
        for key, value in (("queue.max_recalls", data.max_recalls), ("queue.estimate_window", data.estimate_window),
                           ("queue.sms_ahead", data.sms_ahead), ("appointments.early_minutes", data.early_minutes),
                           ("appointments.late_minutes", data.late_minutes)):
            self.numbers[key].setValue(value)
        self.address_ar.setText(data.address_ar)
        self.address_en.setText(data.address_en)
        self.portal.setText(data.portal_url)
        for line in list(self.lines):
            self._drop(line)
        for row in data.hours:
            self._append(row)
        self.render_tab()

    # -- the opening hours' lines ----------------------------------------------------------
    def _append(self, row: HoursRow) -> HoursLine:
        line = HoursLine(self, row)
        line.opens.currentIndexChanged.connect(self._render_hours)
        line.closes.currentIndexChanged.connect(self._render_hours)
        line.first.currentIndexChanged.connect(self._render_hours)
        line.last.currentIndexChanged.connect(self._render_hours)
        self.lines.append(line)
        self.hours_lines.addWidget(line)
        return line

    def _drop(self, line: HoursLine) -> None:
        self.lines.remove(line)
        self.hours_lines.removeWidget(line)
        line.hide()
        line.deleteLater()

    @Slot()
    def add_line(self) -> None:
        if len(self.lines) >= MAX_HOURS_LINES:
            return
        line = self._append(HoursRow("sun", "thu", "08:00", "15:00") if not self.lines else HoursRow("sat", "sat", "09:00", "13:00"))
        self._render_hours()
        line.first.setFocus()

    def remove_line(self, line: HoursLine) -> None:
        index = self.lines.index(line)
        self._drop(line)
        self._render_hours()
        (self.lines[min(index, len(self.lines) - 1)].first if self.lines else self.add_line_button).setFocus()

    def edited(self) -> CentreSettings | None:
        """What the fields say now (None before the first load)."""
        loaded = self.loaded
        if loaded is None:
            return None
        rows = tuple(line.row() for line in self.lines)
        return CentreSettings(
            strict=self.fairness.currentIndex() == 0, ratio=self.ratio.value(),
            max_recalls=self.numbers["queue.max_recalls"].value(),
            estimate_window=self.numbers["queue.estimate_window"].value(),
            sms_ahead=self.numbers["queue.sms_ahead"].value(),
            address_ar=self.address_ar.text().strip(), address_en=self.address_en.text().strip(),
            hours=rows, portal_url=self.portal.text().strip(),
            hours_as_written=loaded.hours_as_written if not rows else "",
            early_minutes=self.numbers["appointments.early_minutes"].value(),
            late_minutes=self.numbers["appointments.late_minutes"].value())

    # -- saving ----------------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        loaded, edited = self.loaded, self.edited()
        if self.saving or loaded is None or edited is None:
            return  # a double press saves once
        self.saving = True
        self.save_button.setEnabled(False)
        self.undo_button.setEnabled(False)
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: centre_settings.save(db, uid, loaded, edited), self._saved, Lane.WRITE)

    def _saved(self, result: Saved) -> None:
        self.saving = False
        self.fill(result.settings)
        self.say(N_("supervisor.settings_saved") if result.changed else N_("supervisor.settings_unchanged"),
                 state="success" if result.changed else "info")

    def show_error(self, exc: BaseException) -> None:
        self.saving = False  # the fields keep what was typed
        super().show_error(exc)

    @Slot()
    def undo(self) -> None:
        if self.loaded is not None and not self.saving:
            self.fill(self.loaded)
            self.message.clear()

    # -- text ------------------------------------------------------------------------------
    @Slot(int)
    def _fairness_changed(self, _index: int) -> None:
        self.ratio.setEnabled(self.fairness.currentIndex() == 1)

    def _render_hours(self) -> None:
        lang, tr = self.ctx.lang.lang, self.ctx.lang.text
        edited = self.edited()
        if edited is not None and not edited.hours and edited.hours_as_written:
            self.hours_note.setText(tr("supervisor.settings_hours_written", hours=isolate(edited.hours_as_written)))
        elif edited is not None and edited.hours:
            self.hours_note.setText(tr("supervisor.settings_hours_preview", hours=hours_preview(edited.hours, lang)))
        else:
            self.hours_note.setText(tr("supervisor.settings_hours_none"))
        self.add_line_button.setEnabled(len(self.lines) < MAX_HOURS_LINES)

    def render_tab(self) -> None:
        tr = self.ctx.lang.text
        index = max(self.fairness.currentIndex(), 0)
        self.fairness.clear()
        self.fairness.addItem(tr("supervisor.settings_fairness_strict"), "strict")
        self.fairness.addItem(tr("supervisor.settings_fairness_ratio"), "ratio")
        self.fairness.setCurrentIndex(index)
        self._fairness_changed(index)
        for line in self.lines:
            line.retranslate()
        self._render_hours()
        self.save_button.setEnabled(self.loaded is not None and not self.saving)
        self.undo_button.setEnabled(self.loaded is not None and not self.saving)
