"""``central-server``: entry point; the component itself lives in ``sync.server.app``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    try:
        module = importlib.import_module("sync.server.app")
    except ImportError:
        print("central-server is not part of this build yet", file=sys.stderr)
        return 3
    return int(module.main(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
