"""The log-warning guard: a test fails on any log record at WARNING or above that it did not
declare (after qutebrowser's ``tests/helpers/logfail.py``). Enabled for the whole suite by
``tests/conftest.py``.

A warning is either a defect to fix or part of what the test checks; a test declares the ones it
causes, as narrowly as it can (a logger, a level, a regular expression searched in the message):

* ``with expect_log("cannot read the database", logger="counter_app.core.changes"):`` (the
  ``expect_log`` fixture): the block must log a matching record (else the test fails: a declared
  warning that never comes is a test that cannot fail), and matching records are allowed for the
  rest of the test (a thread may log it again later);
* ``expect_log.allow("...", logger=..., level=...)``: matching records are allowed for the rest of
  the test, they need not come (a background thread that may or may not get there first);
* ``@pytest.mark.expect_log("...", logger=..., level=...)``: the test must log a matching record
  (in any phase, from any thread), and may log it again;
* ``@pytest.mark.allow_log("...", logger=..., level=...)``: matching records are allowed, they need
  not come (a property test that may or may not get there).

``level`` is matched exactly (``logging.WARNING`` by default): allowing a warning does not allow
an error. Records are collected from every thread; they are checked at the end of each phase
(setup, call, teardown), so a record a thread logs after its test ended is reported at the start
of the next test, naming the test it came from. Unlike qutebrowser's handler, this one never
raises inside ``logging``: the code that logged goes on exactly as it would in production.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

MIN_LEVEL = logging.WARNING


@dataclass
class Allowance:
    """Records a test declared: a regular expression searched in the message, a logger (and
    its children; empty: any) and an exact level."""

    pattern: re.Pattern[str]
    logger: str
    level: int
    origin: str
    required: bool = False
    seen: int = 0

    def matches(self, record: logging.LogRecord) -> bool:
        if record.levelno != self.level:
            return False
        if self.logger and record.name != self.logger and not record.name.startswith(self.logger + "."):
            return False
        return bool(self.pattern.search(record.getMessage()))

    def describe(self) -> str:
        where = f" on {self.logger}" if self.logger else ""
        return f"{logging.getLevelName(self.level)}{where} matching {self.pattern.pattern!r} ({self.origin})"


def allowance(message: str = "", *, logger: str = "", level: int | str = logging.WARNING,
              origin: str = "", required: bool = False) -> Allowance:
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    if not isinstance(numeric, int) or numeric < MIN_LEVEL:
        raise ValueError(f"allow only WARNING and above, not {level!r}: lower levels never fail a test")
    return Allowance(re.compile(message), logger, numeric, origin, required)


class LogFailHandler(logging.Handler):
    """Keeps every record at WARNING or above, from any thread, until the guard looks at them."""

    def __init__(self) -> None:
        super().__init__(MIN_LEVEL)
        self._guard = threading.Lock()
        self._records: list[logging.LogRecord] = []
        self._taken = 0  # records handed out so far (the index of self._records[0])

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self._records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._guard:
            records, self._records = self._records, []
            self._taken += len(records)
        return records

    def position(self) -> int:
        with self._guard:
            return self._taken + len(self._records)

    def since(self, position: int) -> list[logging.LogRecord]:
        with self._guard:
            return list(self._records[max(position - self._taken, 0):])


class Expectations:
    """What one test declared: the markers, then what the ``expect_log`` fixture added."""

    def __init__(self, item: pytest.Item, handler: LogFailHandler) -> None:
        self.nodeid = item.nodeid
        self.handler = handler
        self.allowed: list[Allowance] = []
        self.failed = False
        for marker in item.iter_markers("allow_log"):
            self.allowed.append(allowance(*marker.args, origin="allow_log marker", **marker.kwargs))
        for marker in item.iter_markers("expect_log"):
            self.allowed.append(allowance(*marker.args, origin="expect_log marker", required=True, **marker.kwargs))

    def allow(self, message: str = "", *, logger: str = "", level: int | str = logging.WARNING) -> None:
        """Matching records are allowed for the rest of the test; they need not come."""
        self.allowed.append(allowance(message, logger=logger, level=level, origin="expect_log.allow"))

    @contextmanager
    def __call__(self, message: str = "", *, logger: str = "",
                 level: int | str = logging.WARNING) -> Iterator[Allowance]:
        """The block must log a matching record; matching records are allowed for the rest of the test."""
        declared = allowance(message, logger=logger, level=level, origin="expect_log")
        self.allowed.append(declared)
        start = self.handler.position()
        yield declared
        if not any(declared.matches(record) for record in self.handler.since(start)):
            pytest.fail(f"expected a log record {declared.describe()}, none came", pytrace=False)

    def unexpected(self, records: list[logging.LogRecord]) -> list[logging.LogRecord]:
        left = []
        for record in records:
            match = next((a for a in self.allowed if a.matches(record)), None)
            if match is None:
                left.append(record)
            else:
                match.seen += 1
        return left


_HANDLER = LogFailHandler()
_KEY = pytest.StashKey[Expectations]()


class _Last:
    expectations: Expectations | None = None


def _describe(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"  {r.levelname} {r.name} [{r.threadName}] {r.getMessage()}"
                     + (f"\n    {r.exc_info[0].__name__}: {r.exc_info[1]}" if r.exc_info and r.exc_info[0] else "")
                     for r in records)


HINT = ("Fix the code, or declare the record in the test: `with expect_log(regex, logger=..., level=...)`, "
        "`expect_log.allow(...)` or `@pytest.mark.allow_log(regex, logger=..., level=...)`.")


def _check(expectations: Expectations, when: str) -> None:
    unexpected = expectations.unexpected(_HANDLER.take())
    if unexpected:
        pytest.fail(f"unexpected log records during {when}:\n{_describe(unexpected)}\n{HINT}", pytrace=False)


def _checked(expectations: Expectations, when: str) -> Generator[None, None, None]:
    """Run the phase, then check its records; a phase that failed already is not reported twice."""
    try:
        yield
    except BaseException:
        _HANDLER.take()
        expectations.failed = True
        raise
    _check(expectations, when)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_log(message, logger='', level=WARNING): a log record at WARNING "
                                       "or above that this test may cause (tests/helpers/logfail.py)")
    config.addinivalue_line("markers", "expect_log(message, logger='', level=WARNING): a log record at WARNING "
                                       "or above that this test must cause (tests/helpers/logfail.py)")
    root = logging.getLogger()
    if _HANDLER not in root.handlers:
        root.addHandler(_HANDLER)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_HANDLER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    leftover = _HANDLER.take()  # logged after the previous test ended (a thread that outlived it)
    previous = _Last.expectations
    expectations = item.stash[_KEY] = Expectations(item, _HANDLER)
    _Last.expectations = expectations
    if leftover:
        unexpected = previous.unexpected(leftover) if previous is not None else leftover
        if unexpected:
            origin = previous.nodeid if previous is not None else "before the first test"
            pytest.fail(f"log records after {origin} ended:\n{_describe(unexpected)}\n{HINT}", pytrace=False)
    yield from _checked(expectations, "setup")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield from _checked(item.stash[_KEY], "the test")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    from counter_app.common.logs import reset_logging

    expectations = item.stash[_KEY]
    try:
        yield from _checked(expectations, "teardown")
    finally:
        reset_logging()  # a test that ran a program's main() in-process leaves no handler behind
    missing = [a for a in expectations.allowed if a.required and not a.seen]
    if missing and not expectations.failed:
        pytest.fail("expected log records that never came:\n" + "\n".join(f"  {a.describe()}" for a in missing),
                    pytrace=False)


@pytest.fixture
def expect_log(request: pytest.FixtureRequest) -> Expectations:
    """Declare the log records at WARNING or above this test causes (see the module's docstring)."""
    node: pytest.Item = request.node
    return node.stash[_KEY]
