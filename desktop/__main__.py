"""``radassist``: a headless sub-command, or (with no sub-command or with a path) the window.

This module must stay cheap to import: headless sub-commands are handed to
:mod:`core.cli` before anything from Qt is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli import COMMANDS
    from core.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in COMMANDS or args[0].startswith("-")):
        return cli_main(args)
    # The reading window arrives with the workstation issue; until then the
    # demo (generate, scan, render) is what `radassist` with no command shows.
    return cli_main(["demo"])


if __name__ == "__main__":
    sys.exit(main())
