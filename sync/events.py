"""The schema of every event a centre sends to the central server (pydantic v2), one model per
kind; :mod:`sync.protocol` imports it, so the agent and the server share it.

What a centre emits (``outbox.emit`` in ``counter_app/core``) and what the model of its kind says
are kept equal by ``tests/sync/test_event_schemas.py``, which runs the real core and validates
every payload it wrote.

**Strict.** Integers are JSON integers (not ``"5"``, ``5.0`` or ``true``) within bounds; money is
an integer of piastres from 0 to :data:`MAX_PIASTRES`; times are ISO 8601 strings with a zone
offset, as :func:`datetime.fromisoformat` reads them (what the central reports compute with);
days are ``YYYY-MM-DD``; every text is bounded, holds no NUL and no lone surrogate (neither can be
stored in PostgreSQL or sent back as UTF-8). An event's ``aggregate_id`` names the ticket,
application, day, user, centre or catalogue its payload is about.

**Extra fields are forbidden.** A payload carries what the central server needs and nothing more
(DESIGN: no personal data on the wire); a field the schema does not know is most likely a field
that should not be there (a name, a national ID) or a misspelt one, and refusing it at the server
is the check that catches it. Forward compatibility comes from the schema version instead:

**Versioned.** Each batch says which :data:`SCHEMA_VERSION` the agent writes (``"schema"``; a
batch without it is version 1). The server validates a batch of a version it knows; a batch of a
newer version is answered ``retry`` for every event (kept in the centre's outbox, never set aside)
until the server is upgraded. To add a field or a kind:

1. add it to the models here as optional (``field: T | None = None``) or add the new kind's model
   to :data:`KINDS`; never make an existing field required or narrower (events a centre of the
   older version still sends must keep validating);
2. raise :data:`SCHEMA_VERSION` by one and note the change below;
3. upgrade the central server first, then the centres (an older server keeps new events waiting
   in the outbox, answered ``retry``).

Versions: 1 — the kinds below (issue 17). 2 — issue 18: ``ticket.issued`` carries ``token`` (the
portal's ``/t/<token>``), ``ticket.called``/``ticket.recalled`` carry ``counter_number``,
``centre.updated`` carries the centre's public details (address, opening hours, portal, services).
3 — issue 20: ``booking.checked_in`` (an appointment checked in at the kiosk: its code, the ticket).
4 — issue 20: ``booking.no_show`` (a booking not checked in when its day closed: its code, day, time).
5 — issue 19: ``ticket.called`` of an appointment ticket carries ``appointment: true`` (the server
looks up the booking of those calls only, not of every call of a batch).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, NotRequired, Union

from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    with_config,
)
from pydantic_core import core_schema
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict on Python < 3.12

from counter_app.common.ticket_events import TicketEventKind

SCHEMA_VERSION = 5  # a server validates batches of every version up to its own
#: 10 billion pounds: above any fee, payment or day's takings, far below 2**53 (exact in any JSON).
MAX_PIASTRES = 10**12
MAX_ROW_ID = 2**63 - 1  # a centre database's ids (users, counters, requests) and the outbox sequence
MAX_COUNT = 10**9
MAX_LIST = 200  # documents named in one event
MAX_SERVICES = 2000  # services a centre offers (its centre.updated event)
REASON_LENGTH = 2000

# -- field types --------------------------------------------------------------------------------
_NO_NUL = r"^[^\x00]*$"


def is_time(value: str) -> bool:
    """An ISO 8601 time with a zone offset, as :func:`datetime.fromisoformat` reads it, that has
    a UTC equivalent (the reports convert every time)."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or moment.utcoffset() is None:
            return False
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    return True


def is_day(value: str) -> bool:
    """``YYYY-MM-DD``, a real date (the form a centre day travels in)."""
    if len(value) != 10 or not value.isascii() or value[4] != "-" or value[7] != "-":
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


_TIME = (r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
         r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
_DAY = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$"


class _Checked:
    """A JSON string of an exact form, then checked as a real date or time by pydantic's core (no
    Python call per value: a batch of 500 events is validated in one pass)."""

    def __init__(self, pattern: str, then: core_schema.CoreSchema) -> None:
        self.pattern, self.then = pattern, then

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.chain_schema([core_schema.str_schema(strict=True, pattern=self.pattern), self.then])


# Bounded JSON strings without NUL (a lone surrogate already fails pydantic's string check).
Uuid = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=36, pattern=_NO_NUL)]
Short = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=16, pattern=_NO_NUL)]
Code = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=32, pattern=_NO_NUL)]
Subject = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=64, pattern=_NO_NUL)]
Reference = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=100, pattern=_NO_NUL)]
Name = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=200, pattern=_NO_NUL)]
Reason = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=REASON_LENGTH, pattern=_NO_NUL)]
Address = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=300, pattern=_NO_NUL)]
# counter_app.common.portal.normalise_base_url's form: http(s), a host, no query, fragment or spaces
PortalUrl = Annotated[str, Strict(), StringConstraints(min_length=8, max_length=200,
                                                       pattern=r"^https?://[^\s?#@/]+(/[^\s?#]*)?$")]
# A time as the centres write it (``datetime.isoformat`` of a UTC time): what both pydantic and
# :func:`datetime.fromisoformat` read, with its zone, in a year where every offset has a UTC time.
Moment = Annotated[str, _Checked(_TIME, core_schema.datetime_schema(strict=False, tz_constraint="aware"))]
Day = Annotated[str, _Checked(_DAY, core_schema.date_schema(strict=False))]
Letter = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z]$")]
Governorate = Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9]{2}$")]
RowId = Annotated[int, Strict(), Field(ge=1, le=MAX_ROW_ID)]
Seq = Annotated[int, Strict(), Field(ge=0, le=MAX_ROW_ID)]
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]
Version = Annotated[int, Strict(), Field(ge=1, le=2**31 - 1)]
Money = Annotated[int, Strict(), Field(ge=0, le=MAX_PIASTRES)]
Flag = Annotated[bool, Strict()]
Token = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,32}$")]
Codes = Annotated[list[Code], Field(max_length=MAX_LIST)]
ServiceCodes = Annotated[list[Code], Field(max_length=MAX_SERVICES)]
# The centres' enumerations (``counter_app.core.models``; the test compares them).
Method = Literal["cash", "card", "epayment"]
State = Literal["draft", "submitted", "in_review", "approved", "ready", "delivered", "returned", "rejected",
                "cancelled"]
Role = Literal["clerk", "reviewer", "supervisor", "admin"]
Relation = Literal["spouse", "parent", "child", "sibling", "attorney"]


_FORBID = ConfigDict(extra="forbid")
# Payloads are TypedDicts, not models: validating them builds no objects (twice as fast on a batch).


# -- tickets (counter_app.core.queue._event) ------------------------------------------------------
@with_config(_FORBID)
class _Ticket(TypedDict):
    ticket: Uuid
    number: Short  # "A-001"
    day: Day
    group: Letter
    priority: Flag
    at: Moment
    counter_id: RowId | None
    user_id: RowId | None
    service: Code | None


@with_config(_FORBID)
class _PriorityReason(TypedDict):
    priority_reason: Name | None


@with_config(_FORBID)
class _Recall(TypedDict):
    recall: Count


@with_config(_FORBID)
class _Recalls(TypedDict):
    recalls: Count


@with_config(_FORBID)
class _Transfer(TypedDict):
    from_counter: RowId | None
    from_group: Letter
    to_group: NotRequired[Letter]
    to_counter: NotRequired[RowId]
    reason: NotRequired[Reason]


@with_config(_FORBID)
class _Why(TypedDict):
    reason: Reason


@with_config(_FORBID)
class _Was(TypedDict):
    was: Literal["waiting", "called"]


@with_config(_FORBID)
class TicketIssued(_Ticket):
    event: Literal["issued"]
    token: NotRequired[Token]  # the ticket's public token (the portal's /t/<token>); older tickets have none
    detail: NotRequired[_PriorityReason]


@with_config(_FORBID)
class TicketCalled(_Ticket):
    event: Literal["called"]
    counter_number: NotRequired[Count]  # the counter's own number, for the portal's "go to counter N"
    appointment: NotRequired[Flag]  # an appointment ticket (checked in for a booking): true; else absent


@with_config(_FORBID)
class TicketRecalled(_Ticket):
    event: Literal["recalled"]
    counter_number: NotRequired[Count]
    detail: _Recall


@with_config(_FORBID)
class TicketNoShow(_Ticket):
    event: Literal["no_show"]
    detail: _Recalls


@with_config(_FORBID)
class TicketTransferred(_Ticket):
    event: Literal["transferred"]
    detail: _Transfer


@with_config(_FORBID)
class TicketFinished(_Ticket):
    event: Literal["finished"]


@with_config(_FORBID)
class TicketSkipped(_Ticket):
    event: Literal["skipped"]
    detail: _Why


@with_config(_FORBID)
class TicketExpired(_Ticket):
    event: Literal["expired"]
    detail: _Was


TICKETS: dict[TicketEventKind, type] = {
    TicketEventKind.ISSUED: TicketIssued, TicketEventKind.CALLED: TicketCalled,
    TicketEventKind.RECALLED: TicketRecalled, TicketEventKind.NO_SHOW: TicketNoShow,
    TicketEventKind.TRANSFERRED: TicketTransferred, TicketEventKind.FINISHED: TicketFinished,
    TicketEventKind.SKIPPED: TicketSkipped, TicketEventKind.EXPIRED: TicketExpired,
}


# -- applications (counter_app.core.applications._payload, then each action's details) ------------
@with_config(_FORBID)
class _Application(TypedDict):
    application: Uuid
    tracking_code: Short
    centre: Short
    service: Code
    state: State
    fee_total: Money
    received_by: RowId | None
    reviewer_id: RowId | None
    governorate: Governorate | None
    catalogue_version: Version | None
    at: Moment


@with_config(_FORBID)
class ApplicationChange(_Application):
    """create, start_review, approve, ready: the state alone."""


@with_config(_FORBID)
class ApplicationDocuments(_Application):
    received: Codes


@with_config(_FORBID)
class ApplicationPayment(_Application):
    method: Method
    amount: Money
    reference: Reference | None
    cash_received: NotRequired[Money]
    change: NotRequired[Money]


@with_config(_FORBID)
class ApplicationSubmitted(_Application):
    due_at: Moment


@with_config(_FORBID)
class ApplicationRejected(_Application):
    reason: Reason


@with_config(_FORBID)
class ApplicationReturned(_Application):
    missing: Codes


@with_config(_FORBID)
class ApplicationDelivered(_Application):
    by_applicant: Flag
    relation: NotRequired[Relation]  # someone other than the applicant collected it
    authority: NotRequired[Subject | None]  # a power of attorney's number


@with_config(_FORBID)
class ApplicationRequested(_Application):
    """request_cancel, request_refund (counter_app.core.requests.request)."""

    request: RowId
    reason: Reason


@with_config(_FORBID)
class ApplicationRequestDecided(_Application):
    """cancel_approved, cancel_declined, refund_approved, refund_declined."""

    request: RowId
    kind: Literal["cancel", "refund"]
    approved: Flag
    refund: NotRequired[Money]
    refund_id: NotRequired[RowId]


@with_config(_FORBID)
class ApplicationDocumentWaived(_Application):
    document: Code
    reason: Reason


@with_config(_FORBID)
class ApplicationRefundPaid(_Application):
    refund: RowId
    amount: Money
    method: Method
    counter: RowId | None


_From = TypedDict("_From", {"from": RowId | None})  # "from" is a Python keyword


@with_config(_FORBID)
class ApplicationReassigned(_Application, _From):
    to: RowId
    reason: Reason


APPLICATIONS: dict[str, type] = {
    "create": ApplicationChange, "documents": ApplicationDocuments, "payment": ApplicationPayment,
    "submit": ApplicationSubmitted, "resubmit": ApplicationSubmitted, "start_review": ApplicationChange,
    "approve": ApplicationChange, "reject": ApplicationRejected, "return": ApplicationReturned,
    "ready": ApplicationChange, "deliver": ApplicationDelivered,
    "request_cancel": ApplicationRequested, "request_refund": ApplicationRequested,
    "cancel_approved": ApplicationRequestDecided, "cancel_declined": ApplicationRequestDecided,
    "refund_approved": ApplicationRequestDecided, "refund_declined": ApplicationRequestDecided,
    "waive_document": ApplicationDocumentWaived, "refund_paid": ApplicationRefundPaid,
    "reassign": ApplicationReassigned,
}


# -- the centre day, users, the centre, the catalogue -------------------------------------------------
@with_config(_FORBID)
class DayOpened(TypedDict):
    day: Day
    by: RowId | None
    automatic: Flag


@with_config(_FORBID)
class DayClosed(TypedDict):
    day: Day
    by: RowId | None
    expired: Count
    automatic: NotRequired[Flag]  # closed by the first action of a later day
    # the supervisor's close (counter_app.core.counter_queries._close_detail)
    tickets: NotRequired[Count]
    served: NotRequired[Count]
    applications: NotRequired[Count]
    totals: NotRequired[Annotated[dict[Method, Money], Field(max_length=3)]]


@with_config(_FORBID)
class DayReopened(TypedDict):
    day: Day
    by: RowId | None
    reason: Reason
    reopened: Count


@with_config(_FORBID)
class UserCreated(TypedDict):
    user_id: RowId
    clerk_number: Short
    role: Role


@with_config(_FORBID)
class CentreDetails(TypedDict):
    """A centre's public details for the citizens' portal (counter_app.core.centre_public), in its
    ``centre.updated`` events and its enrolment request; None clears one; an older centre sends none."""

    address_ar: NotRequired[Address | None]
    address_en: NotRequired[Address | None]
    opening_hours: NotRequired[Name | None]
    portal_url: NotRequired[PortalUrl | None]
    services: NotRequired[ServiceCodes]  # the active services' codes


@with_config(_FORBID)
class CentreUpdated(CentreDetails):
    code: Short
    name_ar: Name
    name_en: Name


@with_config(_FORBID)
class CatalogueApplied(TypedDict):
    version: Version


@with_config(_FORBID)
class BookingCheckedIn(TypedDict):
    """An appointment checked in at the kiosk (counter_app.core.booking): no national ID."""

    booking: Short
    ticket: Uuid
    at: Moment
    on_time: Annotated[bool, Strict()]


@with_config(_FORBID)
class BookingNoShow(TypedDict):
    """A booking not checked in when its day closed (counter_app.core.booking.mark_no_shows)."""

    booking: Short
    day: Day
    at: Moment


#: Every kind a centre sends: the model of its payload and the payload's field its
#: ``aggregate_id`` must equal (the ticket, application, day, user, centre or catalogue).
KINDS: dict[str, tuple[type, str]] = {
    **{f"ticket.{kind.value}": (model, "ticket") for kind, model in TICKETS.items()},
    **{f"application.{action}": (model, "application") for action, model in APPLICATIONS.items()},
    "day.opened": (DayOpened, "day"), "day.closed": (DayClosed, "day"), "day.reopened": (DayReopened, "day"),
    "user.created": (UserCreated, "user_id"), "centre.updated": (CentreUpdated, "code"),
    "catalogue.applied": (CatalogueApplied, "version"),
    "booking.checked_in": (BookingCheckedIn, "booking"), "booking.no_show": (BookingNoShow, "booking"),
}
_SUBJECT = {kind: field for kind, (_model, field) in KINDS.items()}


# -- the event around a payload, and the batch -------------------------------------------------------
def _event_type(kind: str, payload: type) -> Any:
    fields = {"uuid": Uuid, "seq": Seq, "kind": Literal[kind], "aggregate_id": Subject, "created_at": Moment,
              "payload": payload}
    return with_config(_FORBID)(TypedDict("Event_" + kind.replace(".", "_"), fields))  # type: ignore[operator]


_ONE: Any = Annotated[Union[tuple(_event_type(k, m) for k, (m, _f) in KINDS.items())],  # noqa: UP007
                      Field(discriminator="kind")]
#: Built once: a batch is validated in one call (pydantic's core walks the list and every payload).
BATCH: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(list[_ONE])

#: The wire's reasons (English, for the centre's log and ``shubbak sync status``), by pydantic error type.
_REASON_OF = {
    "union_tag_invalid": "not an event kind of this schema version",
    "union_tag_not_found": "missing",
    "string_pattern_mismatch": "contains a NUL character or is not of the expected form",
    "datetime_from_date_parsing": "not a real time",
    "date_from_datetime_parsing": "not a real date",
    "datetime_parsing": "not a real time",
    "date_parsing": "not a real date",
    "timezone_aware": "not a time with its zone",
    "string_unicode": "not valid text (a lone surrogate)",
    "extra_forbidden": "a field this schema does not have",
}


def _path(loc: tuple[int | str, ...]) -> str:
    """The field, as ``payload.at`` or ``payload.received.3``, in plain ASCII (a hostile key is
    never sent back as it came: it could hold a NUL or a lone surrogate)."""
    return ".".join(part.encode("ascii", "backslashreplace").decode()[:40] if isinstance(part, str) else str(part)
                    for part in loc)


def reasons(events: list[dict[str, Any]]) -> list[str | None]:
    """For each event as it travels (``uuid``, ``seq``, ``kind``, ``aggregate_id``,
    ``created_at``, ``payload``): None when it is valid, else why not, naming the field."""
    found: list[str | None] = [None] * len(events)
    try:
        BATCH.validate_python(events)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_context=False, include_input=False):
            loc = error["loc"]
            index = loc[0]
            if not isinstance(index, int) or found[index] is not None:
                continue
            # loc[1] is the kind (the union's tag), except where the kind itself is wrong
            where = "kind" if error["type"].startswith("union_tag") else _path(loc[2:])
            message = _REASON_OF.get(error["type"], error["msg"])
            found[index] = f"{where}: {message}" if where else message
    for index, event in enumerate(events):
        if found[index] is None and str(event["payload"][_SUBJECT[event["kind"]]]) != event["aggregate_id"]:
            found[index] = "aggregate_id: not what the payload is about"
    return found
