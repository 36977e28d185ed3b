"""The log-warning guard itself (tests/helpers/logfail.py), run on a small suite of its own in a
separate pytest process: what fails, what a declaration allows, and what it does not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SUITE = '''
import logging
import threading

import pytest

log = logging.getLogger("app.part")


def test_undeclared_warning_fails():
    log.warning("the printer is out of paper")


def test_info_and_debug_never_fail():
    log.info("fine")
    log.debug("fine")


@pytest.mark.allow_log("out of paper", logger="app")
def test_marker_allows_it():
    log.warning("the printer is out of paper")


@pytest.mark.allow_log("out of paper", logger="app")
def test_marker_allows_a_warning_not_an_error():
    log.error("the printer is out of paper")


@pytest.mark.allow_log("out of paper", logger="other")
def test_marker_names_the_logger():
    log.warning("the printer is out of paper")


@pytest.mark.expect_log("out of paper", logger="app")
def test_expect_marker_wants_it():
    log.warning("the printer is out of paper")


@pytest.mark.expect_log("out of paper", logger="app")
def test_expect_marker_that_never_comes_fails():
    log.info("the printer is out of paper")


def test_expect_block_allows_it(expect_log):
    with expect_log("out of paper", logger="app.part"):
        log.warning("the printer is out of paper")
    log.warning("the printer is out of paper")  # a later repeat (a thread) is allowed too


def test_expected_but_never_logged_fails(expect_log):
    with expect_log("out of paper"):
        log.info("the printer is out of paper")


def test_allow_need_not_come(expect_log):
    expect_log.allow("maybe", level=logging.ERROR)


def test_a_thread_is_watched_too():
    thread = threading.Thread(target=lambda: log.warning("from a worker"), name="worker-1")
    thread.start()
    thread.join()


@pytest.fixture
def noisy_teardown():
    yield
    log.warning("closing left something open")


def test_teardown_is_watched(noisy_teardown):
    pass


def test_logs_late():
    pass


def test_after_the_late_one():
    pass
'''

CONFTEST = '''
import logging

pytest_plugins = ("tests.helpers.logfail",)


def pytest_runtest_logfinish(nodeid, location):
    if nodeid.endswith("test_logs_late"):  # between two tests: a thread that outlived its test
        logging.getLogger("app.late").warning("still running")
'''


def test_the_guard(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-rA", "-q")
    lines = {tuple(line.split(" - ")[0].replace("test_suite.py::", "").split(" ", 1))
             for line in result.outlines
             if line.startswith(("PASSED test_suite.py::", "FAILED test_suite.py::", "ERROR test_suite.py::"))}
    failing = {"test_undeclared_warning_fails", "test_marker_allows_a_warning_not_an_error",
               "test_marker_names_the_logger", "test_expected_but_never_logged_fails", "test_a_thread_is_watched_too"}
    passing = {"test_info_and_debug_never_fail", "test_marker_allows_it", "test_expect_block_allows_it",
               "test_allow_need_not_come", "test_logs_late", "test_expect_marker_wants_it"}
    # in teardown, in teardown, in setup
    erroring = {"test_teardown_is_watched", "test_expect_marker_that_never_comes_fails", "test_after_the_late_one"}
    assert {name for outcome, name in lines if outcome == "FAILED"} == failing, result.stdout.str()
    assert {name for outcome, name in lines if outcome == "ERROR"} == erroring, result.stdout.str()
    assert passing <= {name for outcome, name in lines if outcome == "PASSED"}, result.stdout.str()
    text = result.stdout.str()
    assert "WARNING app.part [MainThread] the printer is out of paper" in text
    assert "WARNING app.part [worker-1] from a worker" in text
    assert "expected a log record WARNING matching 'out of paper' (expect_log), none came" in text
    assert "log records after test_suite.py::test_logs_late ended" in text
    assert "expected log records that never came:\n  WARNING on app matching 'out of paper' (expect_log marker)" in text
    assert "WARNING app.late [MainThread] still running" in text
