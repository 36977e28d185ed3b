"""Applications built through the core, as a clerk at the counter would: the shared builder of the
review, notification and window tests."""

from __future__ import annotations

from counter_app.core import applications as apps
from counter_app.core.models import User
from tests.helpers.factories import Centre

NAME, NID = "محمد أحمد علي حسن", "29001010112355"
SERVICE = "MP-REG-CERT"


def submitted(site: Centre, *, clerk_id: int | None = None, service: str = SERVICE,
              phone: str | None = "01012345678", address: str | None = None,
              mail: str | None = "citizen@example.org", opt_out: bool = False) -> int:
    """A file with every document ticked and its fee paid in cash, submitted by ``clerk_id``
    (the centre's first clerk by default); its id."""
    with site.db.begin() as s:
        clerk = s.get_one(User, clerk_id or site.clerk_ids[0])
        app = apps.start_application(s, service_code=service, clerk=clerk, counter_id=site.counter_ids[0],
                                     applicant=apps.Applicant(NAME, NID, phone, address, mail, opt_out))
        apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
        apps.record_payment(s, app.id, "cash", clerk=clerk)
        apps.submit(s, app.id, clerk=clerk)
        return app.id
