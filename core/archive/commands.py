"""``radassist archive list|import|delete|rebuild``: the local study archive, headless.

Light to import (``core.cli`` loads it at every start): the archive engine is
imported when a command runs. Patient data (names, IDs) goes to stdout only.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.errors import UsageError
from core.i18n import _

#: Exit code when the remote node failed or refused (not used by the archive commands).
EXIT_REMOTE_FAILED = 5


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``archive`` command and its sub-commands to ``core.cli``'s parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--archive",
        metavar="DIR",
        help=_("the archive folder (default: the archive in the user data folder)"),
    )
    common.add_argument("--json", action="store_true", help=_("print one JSON document"))
    parser = sub.add_parser(
        "archive",
        help=_("the local study archive: list, import, delete, rebuild"),
        description=_("The local study archive (studies stored by UID, with an SQLite index)."),
    )
    actions = parser.add_subparsers(dest="archive_command", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", parents=[common], help=_("list the archived studies"))
    listing.add_argument("--search", default="", metavar="TEXT", help=_("name, ID, accession..."))
    listing.add_argument("--limit", type=int, default=200, help=_("at most this many (200)"))
    importing = actions.add_parser(
        "import", parents=[common], help=_("import a folder, DICOMDIR, .zip or file")
    )
    importing.add_argument("path", metavar="PATH")
    importing.add_argument(
        "--reference",
        action="store_true",
        help=_("index the files where they are instead of copying them"),
    )
    deleting = actions.add_parser(
        "delete", parents=[common], help=_("delete a study (files and rows)")
    )
    deleting.add_argument("--study", required=True, metavar="UID", help=_("Study Instance UID"))
    actions.add_parser(
        "rebuild", parents=[common], help=_("rebuild the index from the stored files")
    )


def run(args: argparse.Namespace) -> int:
    """Run ``radassist archive ...``; return the exit code."""
    # per-command import: core.cli loads this module at every start
    from core.archive import Archive

    action = getattr(args, "archive_command", None)
    if action not in ("list", "import", "delete", "rebuild"):
        raise UsageError("choose an archive action: list, import, delete or rebuild")
    # A rebuild asked for is the one rebuild (with progress) even when the index owes one.
    with Archive(args.archive, rebuild=action != "rebuild") as archive:
        if action == "list":
            return _list(archive, args)
        if action == "import":
            return _import(archive, args)
        if action == "delete":
            archive.delete_study(args.study)
            _print(args, {"deleted": args.study.strip()}, f"deleted study {args.study.strip()}")
            return 0
        return _rebuild(archive, args)


def _print(args: argparse.Namespace, document: Any, text: str) -> None:
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(text)


def _list(archive: Any, args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 100_000:
        raise UsageError(f"--limit must be from 1 to 100000, found {args.limit}")
    rows = archive.search(args.search, limit=args.limit)
    if args.json:
        print(json.dumps({"studies": [row.as_json() for row in rows]}, ensure_ascii=False))
        return 0
    if not rows:
        print("no studies" + (" match" if args.search else " in the archive"))
    for row in rows:
        print(
            f"{row.study_date or '--------'}  {row.patient_name:<24.24} {row.patient_id:<12.12} "
            f"{'/'.join(row.modalities):<8} {row.instance_count:>5} images  "
            f"{row.description}  [{row.study_uid}]"
        )
    return 0


def _import(archive: Any, args: argparse.Namespace) -> int:
    from core.archive import ArchiveError
    from core.jobs import run_job

    result = run_job(archive.import_folder(args.path, copy=not args.reference))
    if result.added + result.already == 0:
        raise ArchiveError(
            f"{args.path}: no DICOM object could be imported "
            f"({len(result.failed)} files were not); check the path"
        )
    failed = [{"file": f.ref.display_name, "reason": f.reason} for f in result.failed]
    document = {
        "added": result.added,
        "already_in_archive": result.already,
        "failed": failed,
        "studies": list(result.studies),
        "mode": "copy" if result.copied else "reference",
    }
    verb = "imported" if result.copied else "indexed"
    text = (
        f"{verb} {result.added} objects ({result.already} already in the archive) "
        f"in {len(result.studies)} studies"
        + "".join(f"\nnot imported: {f['file']}: {f['reason']}" for f in failed)
    )
    _print(args, document, text)
    return 0


def _rebuild(archive: Any, args: argparse.Namespace) -> int:
    from core.jobs import Progress, run_job

    def show(event: Any) -> None:
        if not args.json and isinstance(event, Progress) and event.total:
            print(f"\r{event.message}: {event.done}/{event.total}", end="", file=sys.stderr)

    note = archive.rebuild_note()  # why it was owed, if it was (no patient data)
    result = run_job(archive.rebuild(), show)
    if not args.json:
        print("", file=sys.stderr)
        if note:
            print(note, file=sys.stderr)
    document = {
        "indexed": result.indexed,
        "missing_references": list(result.missing_references),
        "removed_files": result.removed_files,
        "unusable": [{"file": u.ref.display_name, "reason": u.reason} for u in result.unusable],
    }
    _print(
        args,
        document,
        f"rebuilt the index: {result.indexed} objects, {len(result.unusable)} unusable files, "
        f"{len(result.missing_references)} referenced files gone",
    )
    return 0
