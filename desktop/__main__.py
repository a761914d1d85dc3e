"""``radassist``: a headless sub-command, or (with no sub-command or with a path) the window.

This module must stay cheap to import: headless sub-commands are handed to
:mod:`core.cli` before anything from Qt is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = "usage: radassist [PATH] | radassist {scan,render,load,synth,demo} ... (-h for help)"


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli import COMMANDS
    from core.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in COMMANDS or args[0].startswith("-")):
        return cli_main(args)
    if len(args) > 1:
        print(
            f"radassist: usage error: one path at most, not {len(args)}\n{USAGE}", file=sys.stderr
        )
        return 2
    from desktop.app import run_app  # Qt is imported only now

    return run_app(args[0] if args else None)


if __name__ == "__main__":
    sys.exit(main())
