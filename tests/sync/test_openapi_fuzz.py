"""The whole OpenAPI fuzzed by schemathesis against the real server on loopback (issue 17, items 4
and 9): no input makes a server error, and every answer's status and media type is one the
document declares for that operation.

Two runs per database: as an anonymous client (no administrator token, no centre signature: the
surface anyone on the network reaches), and as the administrator with every push and catalogue
request signed by an enrolled centre (``tests/helpers/fuzzing.py`` signs them), so generated
batches reach decoding and storage.

The suite runs a bounded number of examples per operation (25) with a fixed seed, so a run
generates the same cases each time (a failure prints the ``curl`` that reproduces it). The issue's
figure, 300 per operation, is run by hand (about 2 min per run instead of 20 s)::

    SHUBBAK_FUZZ_EXAMPLES=300 pytest tests/sync/test_openapi_fuzz.py

``SHUBBAK_FUZZ_CHECKS`` changes the checks (``not_a_server_error`` alone, say).

schemathesis runs as its own command (``st run``) in a child process: its Python warnings and
hypothesis's example database stay out of this process (``filterwarnings = error``) and out of
the work tree, while what it reports still fails the test: any failed check, error or warning
other than the ones listed in :data:`EXPECTED_WARNINGS` (with the reason each is expected).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from schemathesis.core.warnings import SchemathesisWarning

from sync.server import ratelimit
from tests.helpers.central import ADMIN_TOKEN, Central, running_central
from tests.sync.test_push import enrol_key

ROOT = Path(__file__).resolve().parents[2]
#: Read by the hooks (tests/helpers/fuzzing.py), which this process does not import: they register
#: themselves in schemathesis when loaded, and schemathesis runs only in the child.
CENTRE_ENV, KEY_ENV = "SHUBBAK_FUZZ_CENTRE", "SHUBBAK_FUZZ_KEY"
EXAMPLES = int(os.environ.get("SHUBBAK_FUZZ_EXAMPLES", "25"))
SEED = 17
CHECKS = os.environ.get("SHUBBAK_FUZZ_CHECKS", "not_a_server_error,status_code_conformance,content_type_conformance")
#: What schemathesis may warn about in each run, and why that is expected here.
EXPECTED_WARNINGS = {
    # anonymous: every administrator and signed operation answers 401, as it must; most generated
    # tracking codes are refused, since their check digits (ISO 7064) are beyond a schema; no
    # generated centre takes appointments and no generated booking code exists (404, as it must)
    "anonymous": {"missing_auth", "validation_mismatch", "missing_test_data"},
    # the administrator cannot log in to the report page with a generated token, and a centre can
    # only fetch a catalogue version that exists; many generated enrolments and catalogues are
    # rightly refused for content the schema cannot express (a valid PEM key, a whole catalogue)
    "signed": {"missing_auth", "validation_mismatch", "missing_test_data"},
}


@pytest.fixture
def central(central_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """The real server with its rate limits off: they would answer most generated requests 429
    (documented, tested in test_rate_limits.py) and leave the operations behind them unexplored."""
    monkeypatch.setenv(ratelimit.ENVIRONMENT, "off")
    with running_central(central_url) as server:
        yield server


def run_schemathesis(central: Central, tmp_path: Path, *, who: str) -> tuple[int, str]:
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.helpers.fuzzing",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # every warning fails the run (exit code 1), except the ones expected for this client
    fail_on = sorted(str(w) for w in SchemathesisWarning if str(w) not in EXPECTED_WARNINGS[who])
    config = tmp_path / "schemathesis.toml"
    config.write_text(f"[warnings]\nfail-on = {json.dumps(fail_on)}\n")
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
               f"{central.url}/openapi.json",
               "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--seed", str(SEED),
               "--generation-database", "none", "--workers", "1", "--request-timeout", "20", "--no-color"]
    if who == "signed":
        key = enrol_key(central, "0142")
        pem = tmp_path / "centre.pem"
        pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        env[CENTRE_ENV], env[KEY_ENV] = "0142", str(pem)
        command += ["--header", f"Authorization: Bearer {ADMIN_TOKEN}"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", "signed"])
def test_the_whole_openapi_fuzzed_finds_no_server_error(central: Central, tmp_path: Path, who: str,
                                                        expect_log: Any) -> None:
    # the refusals the fuzzing provokes are logged as warnings by design; an error (a traceback)
    # is not allowed, so a 500 fails the test twice: here and in schemathesis's report
    expect_log.allow("refused an unauthenticated", logger="sync.server.app")
    expect_log.allow("reports login refused", logger="sync.server.reports")
    expect_log.allow("sent a batch for centre", logger="sync.server.app")
    expect_log.allow("came again with another payload", logger="sync.server.ingest")
    expect_log.allow("do not follow their schema", logger="sync.server.ingest")
    expect_log.allow("clock is off by", logger="sync.server.app")
    expect_log.allow("Invalid HTTP request received", logger="uvicorn.error")  # h11 refuses a malformed header
    code, output = run_schemathesis(central, tmp_path, who=who)
    report = "\n".join(line for line in output.splitlines() if line.strip())
    assert code == 0, report[-6000:]
    assert re.search(r"\b\d+ generated, \d+ passed\b", report), report[-6000:]
