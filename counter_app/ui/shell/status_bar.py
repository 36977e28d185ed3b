"""The status line every working window shows: printer state and sync state, always visible."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import QSize, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from counter_app.common.formatting import format_datetime, format_time
from counter_app.common.i18n import N_, Msg
from counter_app.ui.shell.context import AppContext, SyncStatus
from counter_app.ui.shell.i18n import Binder
from counter_app.ui.shell.operations import Reload
from counter_app.ui.shell.printing import JobFailure
from counter_app.ui.widgets import set_state

log = logging.getLogger(__name__)


class StatusLine(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("statusLine")
        self.printer_label = QLabel(self)
        self.printer_label.setObjectName("printerState")
        self.retry_button = QPushButton(self)
        self.retry_button.setObjectName("retryPrints")
        self.retry_button.clicked.connect(self.retry_prints)
        self.retry_button.hide()
        self.sync_label = QLabel(self)
        self.sync_label.setObjectName("syncState")
        self.sync_alert = QLabel(self)
        self.sync_alert.setObjectName("syncAlert")
        self.sync_alert.setProperty("message", True)  # bold, like a message line
        set_state(self.sync_alert, "error")
        self.sync_alert.hide()
        self.message_label = QLabel(self)
        self.message_label.setObjectName("statusMessage")
        self.sync_alert.setWordWrap(True)
        for label in (self.printer_label, self.sync_label, self.message_label):
            label.setWordWrap(True)  # a long English line wraps instead of widening the window
        rows = QVBoxLayout(self)
        rows.setContentsMargins(8, 4, 8, 4)
        rows.setSpacing(2)
        layout = QHBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        # Wrapping labels share the width by stretch (a bare stretch would squeeze them to a column).
        layout.addWidget(self.printer_label, 3)
        layout.addWidget(self.retry_button)
        layout.addSpacing(24)
        layout.addWidget(self.sync_label, 4)
        layout.addWidget(self.message_label, 2)
        rows.addLayout(layout)
        rows.addWidget(self.sync_alert)  # its own row: an alert is never cut off
        self._fitted_height = 0
        self.sync: SyncStatus | None = None
        self.sync_failed = False
        self._message: tuple[str, dict[str, object]] | None = None
        self.t(self.retry_button.setText, "status.retry_prints")
        self.t.also(self.update_texts)
        ctx.printing.job_failed.connect(self._print_failed)
        ctx.printing.job_done.connect(self._print_done)
        # No poll: what the agent records and the outbox are read again when the database announces
        # a change of them (on SQLite any commit, hence half a second of coalescing), and at the
        # watcher's full reload every 30 s, which also moves the ages on ("oldest 12 minutes").
        self._sync: Reload[SyncStatus] = Reload(ctx.ops, self._read_sync, self._sync_done, self, delay_ms=500,
                                                on_error=self._sync_error)
        ctx.changes.sync_changed.connect(self.refresh_sync)
        self.update_texts()
        self._sync.now()

    # -- size ------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As tall as its wrapped lines need at the width it has (a wrapping label alone asks for
        two lines whatever the room, and the status bar would take them from the form)."""
        hint = super().sizeHint()
        layout = self.layout()
        if self.width() > 0 and layout is not None and layout.hasHeightForWidth():
            hint.setHeight(layout.heightForWidth(self.width()))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Never squeezed below its lines (an alert must never be cut off)."""
        hint = super().minimumSizeHint()
        hint.setHeight(max(hint.height(), self.sizeHint().height()))
        return hint

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """No: the status bar would ask for the height at the width of its size hint (a few
        hundred pixels, three lines); :meth:`sizeHint` gives the height at the real width."""
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    def _fit_height(self) -> None:
        """After a change of width or of text: the line (and the status bar holding it) takes the
        height its wrapped lines need now."""
        height = self.sizeHint().height()
        if height != self._fitted_height:
            self._fitted_height = height
            self.updateGeometry()
            parent = self.parentWidget()
            if parent is not None:
                parent.updateGeometry()

    # -- printer ---------------------------------------------------------------------------
    @Slot(object)
    def _print_failed(self, failure: JobFailure) -> None:
        self.update_texts()

    @Slot(str, str)
    def _print_done(self, _job_id: str, _kind: str) -> None:
        self.update_texts()

    @Slot()
    def retry_prints(self) -> None:
        self.ctx.printing.failed.clear()
        self.ctx.ops.run(self.ctx.printing.retry_failed, lambda _n: self.update_texts(), self._retry_failed, owner=self)
        self.update_texts()

    def _retry_failed(self, exc: BaseException) -> None:
        self.show_message(N_("status.error"), error=exc)

    # -- sync ------------------------------------------------------------------------------
    @Slot()
    def refresh_sync(self) -> None:
        self._sync.request()

    def _read_sync(self) -> Callable[[], SyncStatus]:
        db, provider = self.ctx.db, self.ctx.sync_status
        return lambda: provider(db)

    def _sync_done(self, status: SyncStatus) -> None:
        self.sync, self.sync_failed = status, False
        self.update_texts()

    def _sync_error(self, exc: BaseException) -> None:
        self.sync_failed = True
        self.update_texts()

    def _age(self, age: timedelta | None) -> str:
        tr = self.ctx.lang.text
        if age is None:
            return tr("status.age_none")
        minutes = int(age.total_seconds() // 60)
        if minutes < 1:
            return tr("status.age_moments")
        if minutes < 60:
            return tr("status.age_minutes", n=max(minutes, 0))
        if minutes < 48 * 60:
            return tr("status.age_hours", n=minutes // 60)
        return tr("status.age_days", n=minutes // (24 * 60))

    def _sync_texts(self) -> None:
        tr = self.ctx.lang.text
        status = self.sync
        alerts: list[str] = []
        if self.sync_failed or status is None:
            self.sync_label.setText(tr("status.sync_unknown"))
            self.sync_label.setToolTip("")
        elif not status.configured:
            self.sync_label.setText(tr("status.sync_not_enrolled", events=Msg("status.events_waiting", n=status.events_waiting),
                                       age=self._age(status.oldest_waiting_age)))
            set_state(self.sync_label, "warning")
            self.sync_label.setToolTip("")
        else:
            lang = self.ctx.lang.lang
            when: str = format_time(status.last_sync, lang) if status.last_sync else tr("status.never")
            if status.last_sync and (status.oldest_waiting_age or timedelta(0)) >= timedelta(hours=20):
                when = format_datetime(status.last_sync, lang)
            key = N_("status.sync_online") if status.online else N_("status.sync_offline")
            self.sync_label.setText(tr(key, events=Msg("status.events_waiting", n=status.events_waiting), when=when,
                                       age=self._age(status.oldest_waiting_age)))
            set_state(self.sync_label, "" if status.online else "warning")
            self.sync_label.setToolTip(status.error)
        if status is not None and not self.sync_failed:
            if status.stale:
                alerts.append(tr("status.sync_alert_stale"))
            if status.rejected:
                alerts.append(tr("status.sync_alert_rejected", n=status.rejected))
            if status.clock_flagged and status.clock_skew_s is not None:
                key = N_("status.sync_alert_clock_ahead") if status.clock_skew_s > 0 else N_("status.sync_alert_clock_behind")
                alerts.append(tr(key, n=round(abs(status.clock_skew_s) / 60)))
        self.sync_alert.setText(tr("status.alert_separator").join(alerts))
        self.sync_alert.setVisible(bool(alerts))

    # -- text ------------------------------------------------------------------------------
    def show_message(self, message_id: str, /, **params: object) -> None:
        self._message = (message_id, params)
        self.update_texts()

    def update_texts(self) -> None:
        tr = self.ctx.lang.text
        failed = list(self.ctx.printing.failed.values())
        if failed:
            self.printer_label.setText(tr("status.printer_error", n=len(failed),
                                          error=failed[-1].message(self.ctx.lang.lang)))
            set_state(self.printer_label, "error")
            self.retry_button.show()
        else:
            self.printer_label.setText(tr("status.printer_ok"))
            set_state(self.printer_label, "success")
            self.retry_button.hide()
        self._sync_texts()
        if self._message is not None:
            message_id, params = self._message
            self.message_label.setText(tr(message_id, **params))
        self.message_label.setVisible(self._message is not None)  # no message: the sync line takes its room
        self._fit_height()
