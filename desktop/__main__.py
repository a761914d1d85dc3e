"""``radassist``: a headless sub-command, or (with no sub-command or with a path) the window.

This module must stay cheap to import: headless sub-commands are handed to
:mod:`core.cli` before anything from Qt is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: The self-test's two spellings: the sub-command, and the frozen app's flag.
SELF_TEST = ("self-test", "--self-test")


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    # In a frozen app the forkserver, the resource tracker and spawned children re-run
    # this executable with multiprocessing's own arguments: they must be served here,
    # before anything parses the command line or opens a window (PyInstaller's
    # multiprocessing runtime hook makes this work on every platform, not only Windows).
    multiprocessing.freeze_support()
    from core.cli import COMMANDS
    from core.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SELF_TEST:
        # core's self-test, with the window check added (it imports Qt only when it runs).
        from desktop.selftest_window import WINDOW_CHECK

        return cli_main(["self-test", *args[1:]], extra_checks=[WINDOW_CHECK])
    if args and (args[0] in COMMANDS or args[0].startswith("-")):
        return cli_main(args)
    if len(args) > 1:
        usage = f"usage: radassist [PATH] | radassist {{{','.join(COMMANDS)}}} ... (-h for help)"
        print(
            f"radassist: usage error: one path at most, not {len(args)}\n{usage}", file=sys.stderr
        )
        return 2
    from desktop.app import run_app  # Qt is imported only now

    return run_app(args[0] if args else None)


if __name__ == "__main__":
    sys.exit(main())
