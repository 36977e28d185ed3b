"""Started before anything else in every Python child process of the test suite (this folder is
on ``PYTHONPATH``): apply the suite's pinned clock (``tests/helpers/clock.py``)."""

import os
from datetime import timedelta

_shift = os.environ.get("SHUBBAK_TESTS_CLOCK_SHIFT")
if _shift:
    try:
        from counter_app.common import clock
    except ImportError:  # a process that does not run Shubbak
        pass
    else:
        clock._shift = timedelta(seconds=float(_shift))
