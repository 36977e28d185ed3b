"""The portal's services: every service of the published catalogue by group, a search that forgives
Arabic spelling, a service's documents, fees, days and centres; in Chromium on a phone and a
desktop, Arabic and English, with axe-core."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_app.common.catalogue_data import load_catalogue
from sync import protocol
from sync.server.models import EnrolledCentre
from tests.helpers.browser import ON_SQLITE, SIZES, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, Central, running_central

SHOTS = Path("/tmp/portal-shots")

#: What citizens type, and the one service each must find (alef/hamza, taa marbuta, alef maqsura,
#: waw/yaa with hamza, diacritics, tatweel, Egyptian ى for ي, word order, English case).
SPELLINGS = [
    ("شهادة القيد", "MP-REG-CERT"), ("شهاده القيد", "MP-REG-CERT"), ("شَهَادَةُ القَيْدِ", "MP-REG-CERT"),
    ("شهـــادة القيـد", "MP-REG-CERT"), ("القيد شهادة", "MP-REG-CERT"), ("REGISTRATION certificate", "MP-REG-CERT"),
    ("صلاحية المبنى للإشغال", "LU-OCCUPANCY"), ("صلاحيه المبني للاشغال", "LU-OCCUPANCY"),
    ("صلاحيّة المبنَى للأشغال", "LU-OCCUPANCY"), ("ترخيص عمل الأجانب", "MP-FOREIGN-WP"),
    ("ترخيص عمل الاجانب", "MP-FOREIGN-WP"), ("ترخيص عمل الآجانب", "MP-FOREIGN-WP"),
    ("ترخيص عمل الإجانب", "MP-FOREIGN-WP"), ("التصالح في مخالفات البناء", "LU-RECONCILE"),
    ("التصالح فى مخالفات البناء", "LU-RECONCILE"), ("التصالح في مخالفات البنا", "LU-RECONCILE"),
    ("مستخرج ضريبة عقارية", "LU-PROPTAX-EXTRACT"), ("مستخرج ضريبه عقاريه", "LU-PROPTAX-EXTRACT"),
    ("موافقة توصيل المرافق", "LU-UTILITY-OK"), ("موافقه توصيل المرافق", "LU-UTILITY-OK"),
    ("قياس مستوي المهارة", "MP-SKILL-CERT"), ("قياس مستوى المهاره", "MP-SKILL-CERT"),
    ("ترميم او تدعيم", "LU-RESTORE-PERMIT"), ("ترميم أو تدعيم", "LU-RESTORE-PERMIT"),
    ("building permit", "LU-BUILD-PERMIT"), ("Shop Licence", "LU-SHOP-LICENCE"),
]


def found_codes(html: str) -> list[str]:
    return re.findall(r'<a href="/services/([A-Z0-9-]+)">', html)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def search_portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """One portal per database for the whole spelling table (a search only reads the catalogue):
    a server per spelling spent half a minute starting servers."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'central.sqlite3'}"
    else:
        url = str(request.getfixturevalue("pg_cluster").create_database())
    with running_central(url) as server:
        yield server


@pytest.mark.parametrize(("typed", "code"), SPELLINGS)
def test_spellings_find_the_same_service(search_portal: Central, typed: str, code: str) -> None:
    page = requests.get(f"{search_portal.url}/services", params={"q": typed}, timeout=10)
    assert page.status_code == 200
    assert found_codes(page.text) == [code], (typed, found_codes(page.text))


def test_every_service_by_group_and_no_match(portal: Central) -> None:
    catalogue = load_catalogue()
    page = requests.get(f"{portal.url}/services", timeout=10).text
    assert sorted(found_codes(page)) == sorted(s.code for s in catalogue.services)
    for group in catalogue.groups:
        assert f">{group.name_ar}</h2>" in page
    none = requests.get(f"{portal.url}/services", params={"q": "جواز سفر", "lang": "en"}, timeout=10).text
    assert found_codes(none) == [] and "No service matches" in none
    several = requests.get(f"{portal.url}/services", params={"q": "ترخيص"}, timeout=10).text
    assert len(found_codes(several)) == sum("ترخيص" in s.name_ar for s in catalogue.services) > 2
    assert "<script" not in several  # the query is shown escaped, never as markup
    evil = requests.get(f"{portal.url}/services", params={"q": "<script>x</script>"}, timeout=10).text
    assert "<script>x" not in evil and "&lt;script&gt;" in evil


def enrol(portal: Central, code: str, name: str, governorate: str) -> None:
    key = Ed25519PrivateKey.generate()
    answer = requests.post(portal.url + "/v1/centres/enrol", timeout=10, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"code": code, "name": name, "governorate": governorate,
                                 "sync_public_key": protocol.public_pem(key.public_key())})
    assert answer.status_code == 201, answer.text


def test_a_service_page(portal: Central) -> None:
    enrol(portal, "GZ-01", "مركز الدقي", "21")
    enrol(portal, "CA-02", "مركز مصر الجديدة", "01")
    # the public details come with enrolment or centre.updated (helper PRINT); here set as stored
    with portal.db.sessions.begin() as s:
        row = s.get_one(EnrolledCentre, "CA-02")
        row.services, row.address_ar, row.address_en = json.dumps(["LU-BUILD-PERMIT"]), "١٢ شارع الحجاز", "12 Hegaz St"
    spec = load_catalogue().service("MP-REG-CERT")
    page = requests.get(f"{portal.url}/services/MP-REG-CERT", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    text = page.text
    for doc in spec.documents:
        assert f"<li>{doc.name_ar}</li>" in text
    mandatory, optional = text.index("لا يُستلم الطلب بدونها"), text.index("وقد يُطلب منك أيضًا")
    assert mandatory < text.index(spec.mandatory_documents[0].name_ar) < optional
    assert optional < text.index("شهادة الموقف من التجنيد")  # the one optional document comes last
    assert "20.00" in text and "5.00" in text and "25.00" in text  # fee lines and total, Western digits
    assert "تُنجز في يوم عمل واحد" in text
    assert "مركز الدقي" in text and "مركز مصر الجديدة" not in text  # CA-02 offers building permits only
    building = requests.get(f"{portal.url}/services/LU-BUILD-PERMIT?lang=en", timeout=10).text
    assert "مركز الدقي" in building and "مركز مصر الجديدة" in building and "12 Hegaz St" in building
    assert "Documents to bring" in building and "EGP" in building
    missing = requests.get(f"{portal.url}/services/NO-SUCH", timeout=10)
    assert missing.status_code == 404 and "لا توجد هذه الخدمة" in missing.text


@ON_SQLITE
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_services_in_chromium(portal: Central, size: str, lang: str) -> None:
    enrol(portal, "GZ-01", "مركز الدقي", "21")
    SHOTS.mkdir(exist_ok=True)
    with browser_page(SIZES[size], lang) as (page, requests_made):
        page.goto(f"{portal.url}/services?lang={lang}")
        assert ("المستندات المطلوبة" if lang == "ar" else "documents to bring") in page.inner_text("main")
        page.screenshot(path=str(SHOTS / f"services-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang=lang)
        # the search form, by keyboard
        page.fill("#q", "شهاده القيد")
        page.press("#q", "Enter")
        page.wait_for_url("**/services?q=*")
        assert page.locator("ul.services li").count() == 1
        page.click("ul.services a")
        page.wait_for_url("**/services/MP-REG-CERT")
        body = page.inner_text("main")
        assert ("الإجمالي" if lang == "ar" else "Total") in body and "25.00" in body
        assert "مركز الدقي" in body
        page.screenshot(path=str(SHOTS / f"service-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang=lang)
