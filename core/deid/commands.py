"""``radassist anonymize``: de-identified export (and plain media export) from the shell.

``radassist anonymize PATH --out DIR [--profile basic] [--retain OPTION ...] [--dicomdir]
[--include-burned-in] [--no-deidentify] [--json]``

PATH is a file, folder, DICOMDIR or .zip (read with :func:`core.dicom.index.scan_path`).
What was exported and what was flagged go to stdout (the user's own display); stderr
only ever carries core.cli's one-line error. Exit codes: 0 exported, 2 usage error,
3 nothing readable or nothing exported, 4 the export could not be written.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.errors import UsageError
from core.i18n import _

#: The retained options, by command-line name (core.deid.options.RetainOption's values;
#: repeated here so that building the parser imports no engine module).
RETAIN_CHOICES = (
    "full-dates",
    "modified-dates",
    "patient-characteristics",
    "device-identity",
    "institution-identity",
    "clean-descriptors",
)


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the ``anonymize`` sub-command to core.cli's parser."""
    parser = sub.add_parser(
        "anonymize",
        help=_("export a study de-identified (DICOM PS3.15 Basic profile), or to media"),
        description=_(
            "Export the DICOM objects under PATH (file, folder, DICOMDIR or .zip) into the new "
            "folder DIR, de-identified per DICOM PS3.15 Annex E (Basic Application Level "
            "Confidentiality Profile, with the retained options chosen). Images that may show "
            "patient data burned into their pixels are listed and left out unless "
            "--include-burned-in is given."
        ),
    )
    parser.add_argument("path", metavar="PATH", help=_("file, folder, DICOMDIR or .zip to export"))
    parser.add_argument(
        "--out", required=True, metavar="DIR", help=_("new or empty folder to export into")
    )
    parser.add_argument(
        "--profile", default="basic", choices=("basic",), help=_("confidentiality profile")
    )
    parser.add_argument(
        "--retain",
        action="append",
        default=[],
        choices=RETAIN_CHOICES,
        metavar="OPTION",
        help=_("retain option (repeatable): {choices}").format(choices=", ".join(RETAIN_CHOICES)),
    )
    parser.add_argument(
        "--dicomdir", action="store_true", help=_("write a DICOMDIR File-set (for CD or USB media)")
    )
    parser.add_argument(
        "--include-burned-in",
        action="store_true",
        help=_("export images flagged for burned-in annotation too (they are still listed)"),
    )
    parser.add_argument(
        "--no-deidentify",
        action="store_true",
        help=_("copy the objects unchanged (a plain media export; use with --dicomdir)"),
    )
    parser.add_argument("--json", action="store_true", help=_("print one JSON document"))


def run(args: argparse.Namespace) -> int:
    """Run ``radassist anonymize``; return the exit code."""
    # per-command import: core.cli loads this module at every start
    import json
    import os

    from core.deid.export import export_job
    from core.deid.options import DeidOptions
    from core.deid.results import NothingToExportError
    from core.jobs import run_job

    if not os.path.exists(args.path):
        raise NothingToExportError(f"{args.path}: no such file or folder")

    if args.no_deidentify and (args.retain or args.include_burned_in):
        raise UsageError(
            "--no-deidentify exports the objects unchanged: drop --retain and --include-burned-in"
        )
    options = None if args.no_deidentify else DeidOptions.from_names(args.retain, args.profile)
    result = run_job(
        export_job(
            args.path,
            args.out,
            deidentify=options,
            dicomdir=args.dicomdir,
            include_burned_in=args.include_burned_in,
        )
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    what = "de-identified" if result.deidentified else "copied"
    media = " with a DICOMDIR" if result.dicomdir else ""
    studies = f"{len(result.studies)} stud{'y' if len(result.studies) == 1 else 'ies'}"
    print(
        f"exported {len(result.exported)} objects ({what}) in {studies}{media} to {result.out_dir}"
    )
    if result.retained:
        print("retained options: " + ", ".join(result.retained))
    for flagged in result.flagged:
        state = "exported anyway" if flagged.included else "not exported"
        print(f"flagged ({state}): {flagged.source}: {flagged.reason}")
    for skipped in result.skipped:
        print(f"skipped: {skipped.source}: {skipped.reason}")
    return 0
