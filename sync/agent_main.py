"""``sync-agent``: entry point; the component itself lives in ``sync.agent.agent``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    try:
        module = importlib.import_module("sync.agent.agent")
    except ImportError:
        print("sync-agent is not part of this build yet", file=sys.stderr)
        return 3
    return int(module.main(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
