"""The central server's database: enrolled centres, every event once, quarantined conflicts,
per-centre projections of applications and the published service catalogues."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from counter_app.common.engine import NAMING, UtcDateTime  # one naming convention, UTC for both schemas

Utc = UtcDateTime
BigId = BigInteger().with_variant(Integer, "sqlite")


class ServerBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EnrolledCentre(ServerBase):
    __tablename__ = "centre"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    governorate: Mapped[str | None] = mapped_column(String(2), nullable=True)
    sync_public_key: Mapped[str] = mapped_column(Text)
    receipt_public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    enrolled_at: Mapped[datetime] = mapped_column(Utc)

    def public_name(self, lang: str) -> str:
        """The centre's name in the portal's language (the enrolment's one name for a centre that
        sent neither)."""
        return (self.name_en if lang == "en" else self.name_ar) or self.name_ar or self.name_en or self.name
    last_seen: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    clock_skew_s: Mapped[float | None] = mapped_column(nullable=True)
    clock_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Public details for the citizens' portal (s0005): sent at enrolment and in centre.updated events.
    name_ar: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address_ar: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    opening_hours: Mapped[str | None] = mapped_column(String(200), nullable=True)  # e.g. "Sun-Thu 08:00-15:00"
    portal_url: Mapped[str | None] = mapped_column(String(200), nullable=True)
    services: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of codes; None: all


class StoredEvent(ServerBase):
    """Each event exactly once: the primary key of ``event_key`` on (centre, ``uuid``) decides, never a
    prior SELECT. A UUID is the centre's own: another centre's event with the same UUID is another event."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_centre_seq", "centre_code", "seq"),
                      PrimaryKeyConstraint("centre_code", "uuid", "created_at"))

    # (s0009) On PostgreSQL the table is partitioned by month of ``created_at`` (sync.server.partitions):
    # a partitioned table's keys must hold the partition key, so (centre, uuid) alone is unique in
    # ``event_key`` (below), which ingest inserts into first; the event row follows only when its key was new.
    uuid: Mapped[str] = mapped_column(String(36))
    centre_code: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(Utc)


class QuarantinedEvent(ServerBase):
    """A UUID that came again with another payload: kept aside for a supervisor, never overwriting."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_centre_uuid", "centre_code", "uuid"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    centre_code: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(Utc)


class ApplicationProjection(ServerBase):
    """The latest known state of each application, by the centre's own event sequence; keyed by
    (centre, application UUID), as events are."""

    __tablename__ = "application_projection"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "application_uuid"),)

    application_uuid: Mapped[str] = mapped_column(String(36))
    centre_code: Mapped[str] = mapped_column(String(16), index=True)
    # Tracking codes are random with a check digit; not unique by constraint, so that one
    # colliding code from another centre can never stop a batch from being stored.
    tracking_code: Mapped[str] = mapped_column(String(16), index=True)
    service_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20))
    last_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[str] = mapped_column(String(40))


class TicketProjection(ServerBase):
    """Each ticket's latest known state, folded from its centre's ticket events in the centre's own
    sequence (:mod:`sync.server.queue_state`): what the portal's live pages read. Nothing personal;
    the public token only as its SHA-256."""

    __tablename__ = "ticket_projection"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "ticket_uuid"),
                      Index("ix_ticket_projection_queue", "centre_code", "day", "status", "group_letter"))

    centre_code: Mapped[str] = mapped_column(String(16))
    ticket_uuid: Mapped[str] = mapped_column(String(36))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(16))  # "A-001"
    group_letter: Mapped[str] = mapped_column(String(1))
    priority: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))
    queued_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)  # issued; kept on transfer
    issued_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # core's id order
    to_counter: Mapped[bool] = mapped_column(Boolean)  # transferred to one counter
    counter_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # a centre row id: up to 2**63-1
    counter_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    called_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(Utc)


class PublishedCatalogue(ServerBase):
    __tablename__ = "catalogue"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(Utc)


# -- freshness, rate limits and report sessions (sync/server/freshness.py, ratelimit.py, sessions.py) --
class SeenRequest(ServerBase):
    """A signed request already answered, kept while a copy of it would still be fresh: a replay
    meets the primary key and changes nothing."""

    __tablename__ = "seen_request"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of centre + signed input
    centre_code: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(Utc, index=True)


class RateLimitCounter(ServerBase):
    """One fixed-window counter of the rate limits, shared by every worker on this database."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(index=True)  # seconds since the epoch (system clock)


class AuditAnchor(ServerBase):
    """A centre's audit chain head as one of its batches carried it, kept for good: the history
    of heads anchors the chain off the centre's PC (:mod:`sync.server.anchors`). A head that does
    not extend the one seen before it is kept too, ``flagged``, never overwriting."""

    __tablename__ = "audit_anchor"
    __table_args__ = (Index("ix_audit_anchor_centre_id", "centre_code", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(Utc)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)


# -- heartbeats (issue 19, sync/server/heartbeats.py) ------------------------------------------------
class CentreHeartbeat(ServerBase):
    """The latest heartbeat of each centre (one row per centre, overwritten by the next one): its
    backlog, its queue now, its software version and its clock. ``received_at`` is the server's
    clock when it arrived; ``clock_skew_s`` the centre's clock minus it. No row of ``centre`` is
    written, so a heartbeat never waits for a push's transaction (which locks the centre's row)."""

    __tablename__ = "centre_heartbeat"

    centre_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(Utc, index=True)
    centre_clock: Mapped[datetime] = mapped_column(Utc)
    clock_skew_s: Mapped[float] = mapped_column()
    version: Mapped[str] = mapped_column(String(40))
    backlog_events: Mapped[int] = mapped_column(BigInteger)
    backlog_oldest_age_s: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rejected_events: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    waiting: Mapped[str] = mapped_column(Text)  # JSON object: group letter -> tickets waiting
    waiting_total: Mapped[int] = mapped_column(BigInteger)
    longest_wait_s: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    counters_open: Mapped[int] = mapped_column(BigInteger)
    counters_active: Mapped[int] = mapped_column(BigInteger)


# -- people, roles, sessions, the central audit and enrolment codes (s0007: sync/server/accounts.py,
#    sessions.py, enrol_codes.py) --
class CentralUser(ServerBase):
    """A person who reads the central server's reports: a national administrator, a governorate
    supervisor (``governorate``) or a centre viewer (``centre_code``). The password only as its
    Argon2id hash; ``failed_logins`` in a row lock the account until ``locked_until``."""

    __tablename__ = "central_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(24))
    governorate: Mapped[str | None] = mapped_column(String(2), nullable=True)
    centre_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Utc)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)  # (s0010) where alerts are mailed


class ReportSession(ServerBase):
    """A person's login to the report pages; logging out deletes it, so a copied cookie dies with
    it; disabling the person or resetting their password deletes all of theirs."""

    __tablename__ = "user_session"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's secret
    user_id: Mapped[int] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(Utc)
    expires_at: Mapped[datetime] = mapped_column(Utc, index=True)


class CentralAudit(ServerBase):
    """Every action of a person (or of the administrator token, or of the ``central-server``
    command) on the central server, appended, never changed."""

    __tablename__ = "central_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(Utc, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "user:<name>", "token", "cli", "centre:<code>"
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    client: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EnrolmentCode(ServerBase):
    """A one-time code that lets the named centre register its key: kept only as its SHA-256; used
    once (``used_at``), before ``expires_at``."""

    __tablename__ = "enrolment_code"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(16), index=True)
    governorate: Mapped[str | None] = mapped_column(String(2), nullable=True)
    issued_by: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[datetime] = mapped_column(Utc)
    expires_at: Mapped[datetime] = mapped_column(Utc)
    used_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)


# -- national scale (s0009): event keys, rollups (sync/server/rollups.py, partitions.py) --------------
class EventKey(ServerBase):
    """Each stored event's key, unique across the months of the partitioned ``event`` table: ingest
    inserts here first (``ON CONFLICT DO NOTHING``), so a UUID is stored once whatever its time says."""

    __tablename__ = "event_key"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "uuid"),)

    centre_code: Mapped[str] = mapped_column(String(16))
    uuid: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[str] = mapped_column(String(40))  # the event row's partition key
    payload_hash: Mapped[str] = mapped_column(String(64))


class RollupTicket(ServerBase):
    """What the figures read of each ticket's events so far (JSON list, any order of arrival): a
    late or out-of-order event refolds its ticket and moves the rollups by the difference."""

    __tablename__ = "rollup_ticket"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "ticket_uuid"),)

    centre_code: Mapped[str] = mapped_column(String(16))
    ticket_uuid: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str] = mapped_column(Text)


class RollupApplication(ServerBase):
    """What one application counts for now in the rollups: its service and state, on the centre day
    its ``application.create`` event was created (None until that event arrived)."""

    __tablename__ = "rollup_application"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "application_uuid"),)

    centre_code: Mapped[str] = mapped_column(String(16))
    application_uuid: Mapped[str] = mapped_column(String(36))
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    service_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20))


class RollupService(ServerBase):
    """Key figures per centre × service × day (``span`` 'd'), and the same per month (``span`` 'm',
    ``day`` its first day) and per calendar year (``span`` 'y', ``day`` 1 January) so that a year
    reads about three rows per centre and service. Waiting and service times as integer
    microseconds' sums and fixed histograms (:mod:`sync.server.rollups`)."""

    __tablename__ = "rollup_service"
    __table_args__ = (PrimaryKeyConstraint("span", "day", "centre_code", "service_code"),)

    span: Mapped[str] = mapped_column(String(1))
    day: Mapped[date] = mapped_column(Date)
    centre_code: Mapped[str] = mapped_column(String(16))
    service_code: Mapped[str] = mapped_column(String(32))  # '' for tickets of a group without a service
    issued: Mapped[int] = mapped_column(Integer, default=0)
    served: Mapped[int] = mapped_column(Integer, default=0)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    wait_count: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum_us: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_hist: Mapped[str] = mapped_column(Text, default="{}")
    service_count: Mapped[int] = mapped_column(Integer, default=0)
    service_sum_us: Mapped[int] = mapped_column(BigInteger, default=0)
    service_hist: Mapped[str] = mapped_column(Text, default="{}")
    states: Mapped[str] = mapped_column(Text, default="{}")  # applications received: state -> count
    payments: Mapped[int] = mapped_column(Integer, default=0)
    methods: Mapped[str] = mapped_column(Text, default="{}")  # piastres per payment method, "n:<method>": payments


class RollupClerk(ServerBase):
    """Per centre × clerk (the centre's user id) × day ('d') and month ('m'): tickets served and
    their service time, no-shows."""

    __tablename__ = "rollup_clerk"
    __table_args__ = (PrimaryKeyConstraint("span", "day", "centre_code", "user_id"),)

    span: Mapped[str] = mapped_column(String(1))
    day: Mapped[date] = mapped_column(Date)
    centre_code: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(BigInteger)
    served: Mapped[int] = mapped_column(Integer, default=0)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    service_count: Mapped[int] = mapped_column(Integer, default=0)
    service_sum_us: Mapped[int] = mapped_column(BigInteger, default=0)
    service_hist: Mapped[str] = mapped_column(Text, default="{}")


class RollupHour(ServerBase):
    """Per centre × hour of today and yesterday (Cairo): tickets issued, first calls and their
    waits, tickets served; older days are deleted."""

    __tablename__ = "rollup_hour"
    __table_args__ = (PrimaryKeyConstraint("day", "centre_code", "hour"),)

    day: Mapped[date] = mapped_column(Date)
    centre_code: Mapped[str] = mapped_column(String(16))
    hour: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    called: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum_us: Mapped[int] = mapped_column(BigInteger, default=0)
    served: Mapped[int] = mapped_column(Integer, default=0)


# -- live monitoring and alerts (s0010: sync/server/monitor.py, alerts.py) ---------------------------
class CentralAlert(ServerBase):
    """An alert about a centre (:mod:`sync.server.alerts`): raised once, cleared once. ``open_key``
    is ``<centre>/<kind>`` while the alert is open and NULL once cleared: its unique index lets
    exactly one of several workers raising the same alert at once insert it (NULLs never collide,
    so the cleared ones stay as history). ``emailed_at`` is claimed by one UPDATE before the mail
    is sent, so one mail goes out per alert whichever worker sends it."""

    __tablename__ = "central_alert"
    __table_args__ = (Index("ix_central_alert_centre_raised", "centre_code", "raised_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    open_key: Mapped[str | None] = mapped_column(String(48), nullable=True, unique=True)
    raised_at: Mapped[datetime] = mapped_column(Utc)
    since: Mapped[datetime] = mapped_column(Utc)  # when the condition began, as far as the server knows
    cleared_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True, index=True)
    value: Mapped[float | None] = mapped_column(nullable=True)  # the figure that raised it (seconds, events)
    emailed_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    emailed_to: Mapped[str | None] = mapped_column(Text, nullable=True)


class ServerLease(ServerBase):
    """A named job one server process does at a time (the alerts' evaluation): the holder renews
    ``expires_at``; another process takes it over only once it has expired."""

    __tablename__ = "server_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(Utc)


# -- appointments (s0013: sync/server/appointments/) --------------------------------------------------
class AppointmentRule(ServerBase):
    """When one service group of one centre takes bookings: ``hours`` is a JSON object of weekday
    (``"0"`` Monday .. ``"6"`` Sunday, Python's) -> list of ``["HH:MM", "HH:MM"]`` periods, Cairo
    time; each period is cut into slots of ``slot_minutes`` with ``places`` places each (the share
    of the counters' capacity kept for appointments). A day may be booked up to ``horizon_days``
    ahead, and until ``cutoff_time`` (Cairo) ``cutoff_days_before`` days before it (1 and
    ``"18:00"``: until 18:00 the evening before)."""

    __tablename__ = "appointment_rule"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "group_letter"),)

    centre_code: Mapped[str] = mapped_column(String(16))
    group_letter: Mapped[str] = mapped_column(String(4))
    hours: Mapped[str] = mapped_column(Text)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    places: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    cutoff_days_before: Mapped[int] = mapped_column(Integer)
    cutoff_time: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[datetime] = mapped_column(Utc)
    updated_by: Mapped[str] = mapped_column(String(80))


class AppointmentRuleVersion(ServerBase):
    """The history of one centre's rule for one service group (the capacity figures of past days,
    :mod:`sync.server.appointment_kpis`): the rule in force from ``valid_from`` (the Cairo day it
    was set) until the next version's day. Written with each change of :class:`AppointmentRule`;
    several changes on one day keep the last. A deletion is a version without ``hours``,
    ``slot_minutes`` and ``places`` (no slots from that day)."""

    __tablename__ = "appointment_rule_version"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "group_letter", "valid_from"),)

    centre_code: Mapped[str] = mapped_column(String(16))
    group_letter: Mapped[str] = mapped_column(String(4))
    valid_from: Mapped[date] = mapped_column(Date)
    hours: Mapped[str | None] = mapped_column(Text, nullable=True)
    slot_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    places: Mapped[int | None] = mapped_column(Integer, nullable=True)
    set_at: Mapped[datetime] = mapped_column(Utc)
    set_by: Mapped[str] = mapped_column(String(80))


class AppointmentClosure(ServerBase):
    """A day without appointments: a national public holiday (``centre_code`` ``""``) or one
    centre's own closure."""

    __tablename__ = "appointment_closure"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "day"),)

    centre_code: Mapped[str] = mapped_column(String(16))  # "": every centre (a public holiday)
    day: Mapped[date] = mapped_column(Date)
    reason_ar: Mapped[str] = mapped_column(String(200))
    reason_en: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Utc)
    created_by: Mapped[str] = mapped_column(String(80))


class AppointmentSlot(ServerBase):
    """The places taken of one slot: a booking adds one by a single conditional UPDATE
    (``booked < places``), which both databases apply one at a time to the row, so the last place
    is sold once. The row is made (``ON CONFLICT DO NOTHING``) at the slot's first booking."""

    __tablename__ = "appointment_slot"
    __table_args__ = (PrimaryKeyConstraint("centre_code", "group_letter", "slot_start"),)

    centre_code: Mapped[str] = mapped_column(String(16))
    group_letter: Mapped[str] = mapped_column(String(4))
    slot_start: Mapped[datetime] = mapped_column(Utc)
    booked: Mapped[int] = mapped_column(Integer)


class AppointmentCentre(ServerBase):
    """Each centre's bookings version: every change of one of its bookings takes the next number
    (``Booking.version``), so the centre's agent pulls what changed since the version it has."""

    __tablename__ = "appointment_centre"

    centre_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class Booking(ServerBase):
    """A citizen's appointment. ``code`` (8 characters, no 0/O/1/I) is typed at the kiosk and
    quoted on the phone; the manage link's secret is kept only as its SHA-256. ``active_key`` is
    ``<national ID>|<service>|<day>`` while the booking is booked or checked in, NULL otherwise: its
    unique index holds "one active booking per national ID, service and day" against racing
    requests. ``mobile`` is deleted once the booking is over."""

    __tablename__ = "booking"
    __table_args__ = (Index("ix_booking_centre_version", "centre_code", "version"),
                      Index("ix_booking_national_id_day", "national_id", "day"),
                      Index("ix_booking_centre_slot", "centre_code", "group_letter", "slot_start"),
                      Index("ix_booking_ticket", "ticket_uuid"), Index("ix_booking_day_centre", "day", "centre_code"),
                      # the bookings whose number is still kept, by day: the reminders' and the
                      # numbers' deletion rounds (:mod:`sync.server.appointments.notices`)
                      Index("ix_booking_mobile_day", "day", sqlite_where=text("mobile IS NOT NULL"),
                            postgresql_where=text("mobile IS NOT NULL")),
                      # the bookings still booked, by day: the past ones are the days not closed
                      # (:func:`sync.server.alerts.day_not_closed`)
                      Index("ix_booking_booked_day", "day", "centre_code", sqlite_where=text("state = 'booked'"),
                            postgresql_where=text("state = 'booked'")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    centre_code: Mapped[str] = mapped_column(String(16))
    group_letter: Mapped[str] = mapped_column(String(4))
    service_code: Mapped[str] = mapped_column(String(32))
    slot_start: Mapped[datetime] = mapped_column(Utc)
    day: Mapped[date] = mapped_column(Date)  # the slot's Cairo day
    national_id: Mapped[str] = mapped_column(String(14))
    mobile: Mapped[str | None] = mapped_column(String(16), nullable=True)  # E.164
    lang: Mapped[str] = mapped_column(String(2))  # the citizen's language, for the SMS
    state: Mapped[str] = mapped_column(String(12))  # booked, cancelled, checked_in, no_show, closed (its day closed)
    active_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    version: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Utc)
    updated_at: Mapped[datetime] = mapped_column(Utc)
    checked_in_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    #: The appointment ticket it checked in to on time, and that ticket's first call (punctuality).
    ticket_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    called_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    #: the citizen wants the SMS reminders (the booking form's choice; stopped on the manage page)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: when the current slot was chosen (booked or moved): no reminder planned before it is sent
    chosen_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)


class BookingNotice(ServerBase):
    """The central server's outbox of SMS to citizens about their bookings
    (:mod:`sync.server.appointments.notices`): queued in the booking change's transaction (or by the
    reminders' round), sent by the dispatcher (:mod:`counter_app.notify.dispatch`). ``kind`` is
    unique per booking (``booked``, ``moved:<version>``, ``cancelled``, ``day:<slot>``,
    ``hour:<slot>``), so nothing is queued twice. ``recipient`` is deleted once the message is sent
    or can no longer be (the booking over); ``state``: pending, sent, delivered, failed, void (not
    sent: the booking ended first)."""

    __tablename__ = "booking_notice"
    __table_args__ = (UniqueConstraint("booking_id", "kind"),
                      Index("ix_booking_notice_due", "state", "next_attempt_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    booking_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("booking.id"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str | None] = mapped_column(String(16), nullable=True)  # E.164 until sent
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Utc)
    next_attempt_at: Mapped[datetime] = mapped_column(Utc)
    sent_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(Utc, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
