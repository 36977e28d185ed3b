"""Catalogue pull by version, TLS with a configurable CA bundle, and the command-line tools."""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from counter_app import cli
from counter_app.common.catalogue_data import parse_catalogue
from counter_app.core import catalogue, simulate
from counter_app.core.models import Application, Service
from sync.agent.__main__ import main as agent_main
from sync.agent.agent import Agent, SyncError
from tests.helpers.central import ADMIN_TOKEN, Central, running_central
from tests.helpers.factories import Centre
from tests.helpers.syncing import assert_exactly_once, queue_events


def shipped() -> dict[str, Any]:
    return dict(json.loads((files("resources") / "catalogue" / "services.json").read_text(encoding="utf-8")))


def publish(central: Central, version: int, fee_factor: int = 2) -> dict[str, Any]:
    body = copy.deepcopy(shipped())
    body["version"] = version
    for fee in body["services"][0]["fees"]:
        fee["amount_piastres"] = fee["amount_piastres"] * fee_factor
    r = requests.post(central.url + "/v1/catalogue", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 201, r.text
    from sync.server.models import CentralAudit  # every action at the central server is audited

    assert central.count(CentralAudit, CentralAudit.action == "catalogue.publish",
                         CentralAudit.target == str(version)) == 1
    return body


def test_a_newer_catalogue_is_pulled_and_recorded_on_applications(enrolled: Centre, central: Central,
                                                                   agent: Agent) -> None:
    assert agent.pull_catalogue() is None  # the server has the version the centre runs
    body = publish(central, 2)
    code = body["services"][0]["code"]
    assert agent.pull_catalogue() == 2
    with enrolled.db.read() as s:
        assert catalogue.active_version(s) == 2
        service = s.scalars(select(Service).where(Service.code == code, Service.active.is_(True))).one()
        assert service.catalogue_version == 2
    assert agent.pull_catalogue() is None  # nothing newer
    simulate.run(enrolled.db, citizens=4, counters=2, seed=11)
    with enrolled.db.read() as s:
        versions = set(s.scalars(select(Application.catalogue_version)))
    assert versions == {2}
    agent.sync_once()
    assert_exactly_once(enrolled.db, central)
    # one version can be read back by its number; an unpublished one is a clear 404
    assert agent.request("GET", "/v1/catalogue/2").json()["version"] == 2
    with pytest.raises(SyncError, match="404"):
        agent.request("GET", "/v1/catalogue/9")


def test_a_local_change_not_yet_sent_is_never_overwritten(enrolled: Centre, central: Central, agent: Agent) -> None:
    local = shipped()
    local["version"] = 3
    with enrolled.db.begin() as s:  # a supervisor applied version 3 from a file; not sent yet
        catalogue.apply_catalogue(s, parse_catalogue(local))
    publish(central, 4)
    assert agent.pull_catalogue() is None
    with enrolled.db.read() as s:
        assert catalogue.active_version(s) == 3
    agent.sync_once()  # the local change reaches the server ...
    assert agent.pull_catalogue() == 4  # ... and then the newer one applies
    with enrolled.db.read() as s:
        assert catalogue.active_version(s) == 4


def test_a_bad_catalogue_is_refused_by_the_server(central: Central) -> None:
    r = requests.post(central.url + "/v1/catalogue", json={"version": 5, "services": "none"}, timeout=10,
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 422
    assert requests.post(central.url + "/v1/catalogue", json=shipped(), timeout=10).status_code == 401


# -- TLS ----------------------------------------------------------------------------------------
def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A private CA and a server certificate for 127.0.0.1 signed by it."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Shubbak test CA")).issuer_name(_name("Shubbak test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture
def tls_central(central_url: str, certificates: dict[str, str]) -> Iterator[Central]:
    with running_central(central_url, certfile=certificates["cert"], keyfile=certificates["key"]) as server:
        yield server


def test_tls_is_verified_by_default_with_a_configurable_ca_bundle(
        site: Centre, tls_central: Central, certificates: dict[str, str], db_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert tls_central.url.startswith("https://")
    base = ["centre", "enrol", "--db", db_url, "--server", tls_central.url, "--admin-token", ADMIN_TOKEN]
    # without the CA bundle the self-signed chain is refused, with a clear message
    assert cli.main(base) == 1
    assert "certificate verify failed" in capsys.readouterr().err.lower()
    assert cli.main([*base, "--ca-bundle", certificates["ca"]]) == 0
    assert "enrolled" in capsys.readouterr().out
    queue_events(site.db, 25)
    with pytest.raises(SyncError, match="TLS verification failed") as error:
        Agent(site.db).sync_once()  # verification on by default
    assert not error.value.retryable
    assert agent_main(["--db", db_url, "--once", "--ca-bundle", certificates["ca"]]) == 0
    assert "sent" in capsys.readouterr().out
    assert_exactly_once(site.db, tls_central)


def test_enrol_needs_the_administrator_token(site: Centre, central: Central, db_url: str,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHUBBAK_ADMIN_TOKEN", raising=False)
    assert cli.main(["centre", "enrol", "--db", db_url, "--server", central.url]) == 2
    assert cli.main(["centre", "enrol", "--db", db_url, "--server", central.url, "--admin-token", "wrong"]) == 1
    assert "401" in capsys.readouterr().err
    assert agent_main(["--db", db_url, "--once"]) == 2  # not enrolled: no server known


def test_receipt_verification(site: Centre, central: Central, tmp_path: Path) -> None:
    from counter_app.common.signing import generate_key, save_private_key, sign_receipt
    from tests.helpers.central import enrol_site

    key = generate_key()
    save_private_key(key, tmp_path / "receipt.pem")
    code = enrol_site(central, site.db, receipt_key=tmp_path / "receipt.pem")
    paid = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    genuine = sign_receipt(key, code, "1057-7987-7013", 15000, paid)

    def check(payload: str) -> dict[str, Any]:
        return dict(requests.post(central.url + "/v1/receipts/verify", json={"payload": payload}, timeout=10).json())

    answer = check(genuine)
    assert answer["valid"] and answer["total_piastres"] == 15000 and answer["tracking_code"] == "1057-7987-7013"
    assert not check(genuine.replace("|15000|", "|1500|"))["valid"]  # a lowered amount
    assert not check(sign_receipt(generate_key(), code, "1057-7987-7013", 15000, paid))["valid"]  # forged
    assert check(sign_receipt(key, "XXX-99", "1057-7987-7013", 1, paid)) == {"valid": False,
                                                                            "reason": "unknown centre"}
    assert not check("nonsense")["valid"]
