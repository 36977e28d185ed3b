"""``python -m queue_display``: the same as the ``queue-display`` console script."""

import sys

from queue_display.app import main

sys.exit(main())
