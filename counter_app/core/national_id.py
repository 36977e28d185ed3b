"""The national ID's rules live in :mod:`counter_app.common.national_id` (the central server's
bookings validate national IDs as the counter does, and it may not import ``core``); this name stays
for the counter's code."""

from __future__ import annotations

from counter_app.common.national_id import (
    GOVERNORATES,
    MESSAGE_IDS,
    NATIONAL_ID_LENGTH,
    NationalIdError,
    NationalIdErrorCode,
    NationalIdInfo,
    mask_national_id,
    normalise_digits,
    parse_national_id,
)

__all__ = [
    "GOVERNORATES",
    "MESSAGE_IDS",
    "NATIONAL_ID_LENGTH",
    "NationalIdError",
    "NationalIdErrorCode",
    "NationalIdInfo",
    "mask_national_id",
    "normalise_digits",
    "parse_national_id",
]
