"""The centre's clock for core: the time helpers are :mod:`counter_app.common.clock`'s (the central
server uses them too), named here as core has always named them."""

from counter_app.common.clock import CENTRE_TZ as CENTRE_TZ
from counter_app.common.clock import as_utc as as_utc
from counter_app.common.clock import local_day as local_day
from counter_app.common.clock import to_local as to_local
from counter_app.common.clock import utcnow as utcnow
