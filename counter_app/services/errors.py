"""The core's errors a window catches or raises, named here so the windows import ``services``
only. Each carries its code and parameters and gives its message in the user's language."""

from __future__ import annotations

from counter_app.core.errors import ApplicantFieldError as ApplicantFieldError
from counter_app.core.errors import NotFound as NotFound
from counter_app.core.errors import PermissionDenied as PermissionDenied
from counter_app.core.errors import ShubbakError as ShubbakError
from counter_app.core.errors import ValidationFailed as ValidationFailed
from counter_app.core.national_id import NationalIdError as NationalIdError
