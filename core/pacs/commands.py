"""``radassist pacs echo|find|retrieve|send``: every network path, headless.

A node is named from the settings (``--node NAME``) or given on the command line:
``--host --port --aet [--calling-aet]`` for DIMSE, ``--url`` for DICOMweb (with
``--user`` and ``--password-stdin``, or ``--token-stdin``: secrets never go on the
command line, where other users' ``ps`` would see them). This module is imported at
every start of the app: it imports only argparse and core.errors at module level.

Exit codes: 0 success, 2 usage error, 3 the nodes file is damaged, 4 an output could
not be written, 5 (:data:`EXIT_REMOTE_FAILED`) the remote node failed or refused, or
a retrieval or send did not complete. Patient data (search results) goes to stdout
only; stderr gets one line naming the node and what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from typing import Any, Final

from core.errors import UsageError
from core.i18n import _

EXIT_OK: Final = 0
#: The remote node failed or refused (or a retrieval/send did not complete).
EXIT_REMOTE_FAILED: Final = 5


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``pacs`` and its sub-commands to ``radassist``'s parser."""
    pacs = sub.add_parser(
        "pacs",
        help=_("talk to a PACS: echo, find, retrieve, send (DIMSE or DICOMweb)"),
        description=_("Query, retrieve from and send to DICOM nodes (DIMSE or DICOMweb)."),
    )
    actions = pacs.add_subparsers(dest="pacs_command", required=True, metavar="ACTION")

    echo = actions.add_parser("echo", help=_("test a node (C-ECHO, or a QIDO-RS search)"))
    _node_options(echo)

    find = actions.add_parser("find", help=_("search studies (or, with --study, its series)"))
    _node_options(find)
    find.add_argument("--patient-name", default="", help=_("wildcards * and ? allowed"))
    find.add_argument("--patient-id", default="")
    find.add_argument("--accession", default="", help=_("accession number"))
    find.add_argument("--date-from", type=_date, help=_("first study date (YYYYMMDD)"))
    find.add_argument("--date-to", type=_date, help=_("last study date (YYYYMMDD)"))
    find.add_argument("--modality", default="", help=_("a modality in the study (CT, MR...)"))
    find.add_argument("--description", default="", help=_("study description, wildcards allowed"))
    find.add_argument("--study", default="", help=_("list the series of this study"))
    find.add_argument("--limit", type=int, default=200, help=_("at most this many studies"))

    retrieve = actions.add_parser("retrieve", help=_("fetch a study or chosen series"))
    _node_options(retrieve)
    retrieve.add_argument("--study", required=True, help=_("Study Instance UID"))
    retrieve.add_argument(
        "--series", action="append", default=[], help=_("only this series (repeatable)")
    )
    retrieve.add_argument("--method", choices=("get", "move"), help=_("default: the node's"))
    retrieve.add_argument(
        "--listen-port", type=int, help=_("C-MOVE: our storage SCP listens here for the duration")
    )
    retrieve.add_argument(
        "--out", help=_("write the instances into this folder as <SOPInstanceUID>.dcm")
    )
    retrieve.add_argument(
        "--archive",
        metavar="DIR",
        help=_("the archive the instances go into (default: the archive in the user data folder)"),
    )

    send = actions.add_parser("send", help=_("send files (C-STORE, or STOW-RS)"))
    _node_options(send)
    send.add_argument("files", nargs="+", help=_("DICOM files to send"))


def _node_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group(_("the node (from the settings, or given here)"))
    where.add_argument("--node", help=_("a node configured in Settings → DICOM nodes"))
    where.add_argument("--host", help=_("DIMSE: host name or address"))
    where.add_argument("--port", type=int, help=_("DIMSE: port"))
    where.add_argument("--aet", help=_("DIMSE: the node's (called) AE title"))
    where.add_argument("--calling-aet", help=_("our AE title (default: the settings')"))
    where.add_argument("--url", help=_("DICOMweb: base URL (http(s)://host/dicom-web)"))
    where.add_argument("--user", help=_("DICOMweb: user name (basic authentication)"))
    where.add_argument(
        "--password-stdin", action="store_true", help=_("DICOMweb: read the password from stdin")
    )
    where.add_argument(
        "--token-stdin", action="store_true", help=_("DICOMweb: read a bearer token from stdin")
    )
    where.add_argument("--ca-bundle", help=_("DICOMweb: trust this CA bundle file for TLS"))
    where.add_argument("--timeout", type=float, help=_("seconds to wait for the node"))
    parser.add_argument("--json", action="store_true", help=_("one JSON document on stdout"))


def _date(text: str) -> dt.date:
    for pattern in ("%Y%m%d", "%Y-%m-%d"):
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, pattern).date()
    raise argparse.ArgumentTypeError(f"expected a date as YYYYMMDD, found {text!r}")


def run(args: argparse.Namespace) -> int:
    """Run ``pacs ACTION``; the exit code."""
    # per-command import: core.cli loads this module at every start
    from core.pacs.explain import NodesFileError, PacsError

    try:
        node, local, credentials = _resolve(args)
        if args.pacs_command == "echo":
            return _echo(args, node, local, credentials)
        if args.pacs_command == "find":
            return _find(args, node, local, credentials)
        if args.pacs_command == "retrieve":
            return _retrieve(args, node, local, credentials)
        return _send(args, node, local, credentials)
    except NodesFileError:
        raise  # a local file, not the remote node: core.cli says it and exits 3
    except PacsError as error:
        _say(f"radassist: {error}")
        return EXIT_REMOTE_FAILED


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False))


def _resolve(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(node, local node, credential store) from the options and the settings."""
    from dataclasses import replace

    from core.pacs.credentials import CredentialStore
    from core.pacs.nodes import DicomWebNode, DimseNode, load_nodes

    given = [bool(args.node), bool(args.host or args.port or args.aet), bool(args.url)]
    if sum(given) != 1:
        raise UsageError("name one node: --node NAME, or --host --port --aet, or --url")
    book = load_nodes()
    local = book.local
    if args.calling_aet:
        local = replace(local, ae_title=args.calling_aet)
    if getattr(args, "listen_port", None) is not None:
        local = replace(local, port=args.listen_port)
    timeout = {"timeout_s": args.timeout} if args.timeout is not None else {}
    if args.node:
        node: Any = book.node(args.node)
        if timeout:
            node = replace(node, **timeout)
    elif args.url:
        auth: Any = "basic" if args.user else "bearer" if args.token_stdin else "none"
        node = DicomWebNode(
            name="command line",
            base_url=args.url,
            auth=auth,
            username=args.user or "",
            ca_bundle=args.ca_bundle,
            **timeout,
        )
    else:
        if not (args.host and args.port and args.aet):
            raise UsageError("a DIMSE node needs --host, --port and --aet")
        node = DimseNode(
            name="command line", ae_title=args.aet, host=args.host, port=args.port, **timeout
        )
    if args.password_stdin or args.token_stdin:
        if not isinstance(node, DicomWebNode) or node.auth == "none":
            raise UsageError(
                "--password-stdin needs a DICOMweb node with --user (or --token-stdin)"
            )
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise UsageError("no password or token came on stdin")
        credentials = CredentialStore(use_keyring=False)  # given for this run: not kept
        credentials.set(node.credential_key, secret)
    else:
        credentials = CredentialStore()
    return node, local, credentials


def _echo(args: argparse.Namespace, node: Any, local: Any, credentials: Any) -> int:
    from core.pacs.service import echo

    took = echo(node, local=local, credentials=credentials)
    if args.json:
        _print_json({"node": _node_name(node), "ok": True, "round_trip_ms": round(took * 1000)})
    else:
        print(f"{_node_name(node)} answered in {took * 1000:.0f} ms")
    return EXIT_OK


def _node_name(node: Any) -> str:
    base = getattr(node, "base_url", None)
    if base is not None:
        return str(base)
    return f"{node.ae_title} at {node.host}:{node.port}"


def _find(args: argparse.Namespace, node: Any, local: Any, credentials: Any) -> int:
    from core.pacs.query import StudyQuery
    from core.pacs.service import find, find_series

    if args.study:
        series = find_series(node, args.study, local=local, credentials=credentials)
        if args.json:
            _print_json({"study_uid": args.study, "series": [s.to_json() for s in series]})
        else:
            for item in series:
                number = "" if item.number is None else item.number
                count = "?" if item.instance_count is None else item.instance_count
                print(
                    f"{number}\t{item.modality}\t{count} instances\t{item.description}\t"
                    f"{item.series_uid}"
                )
            print(f"{len(series)} series")
        return EXIT_OK
    try:
        query = StudyQuery(
            patient_name=args.patient_name,
            patient_id=args.patient_id,
            accession_number=args.accession,
            date_from=args.date_from,
            date_to=args.date_to,
            modality=args.modality,
            description=args.description,
            limit=args.limit,
        )
    except TypeError as error:
        raise UsageError(str(error)) from None
    studies = find(node, query, local=local, credentials=credentials)
    limited = len(studies) >= query.limit
    if args.json:
        _print_json(
            {"studies": [s.to_json() for s in studies], "count": len(studies), "limited": limited}
        )
        return EXIT_OK
    for study in studies:
        count = "?" if study.series_count is None else study.series_count
        print(
            f"{study.study_date}\t{'/'.join(study.modalities)}\t{count} series\t"
            f"{study.patient_name}\t{study.patient_id}\t{study.description}\t{study.study_uid}"
        )
    more = f" (the limit of {query.limit}; narrow the search)" if limited else ""
    print(f"{len(studies)} studies{more}")
    return EXIT_OK


def _retrieve(args: argparse.Namespace, node: Any, local: Any, credentials: Any) -> int:
    from core.archive import Archive
    from core.pacs.sinks import FolderSink

    if args.out and args.archive:
        raise UsageError("--out and --archive: choose one")
    method = args.method or getattr(node, "retrieve_method", None)
    if method == "move" and local.port is None:
        raise UsageError("C-MOVE needs a port for our storage SCP to listen on (--listen-port)")
    with contextlib.ExitStack() as stack:
        # Into the archive (the study list shows it), or into a plain folder with --out.
        sink = FolderSink(args.out) if args.out else stack.enter_context(Archive(args.archive))
        return _retrieve_into(args, node, local, credentials, sink)


def _retrieve_into(
    args: argparse.Namespace, node: Any, local: Any, credentials: Any, sink: Any
) -> int:
    from core.jobs import Progress, run_job
    from core.pacs.service import retrieve

    where = str(sink.folder) if hasattr(sink, "folder") else str(sink.root)
    show = sys.stderr.isatty() and not args.json

    def on_event(event: object) -> None:
        if show and isinstance(event, Progress):
            total = f"/{event.total}" if event.total else ""
            print(f"\r{event.done}{total} instances", end="", file=sys.stderr, flush=True)

    job = retrieve(
        node,
        args.study,
        sink,
        series_uids=args.series,
        method=args.method,
        local=local,
        credentials=credentials,
    )
    try:
        result = run_job(job, on_event)
    finally:
        if show:
            print(file=sys.stderr)
    if args.json:
        _print_json({**result.to_json(), "out": where})
    else:
        print(
            f"{result.arrived} new, {result.already_present} already there, {result.failed} "
            f"failed, {result.expected} expected; in {where}"
        )
    if not result.complete:
        _say(
            f"radassist: the retrieval is incomplete ({result.counts.in_words()}); "
            "retrieve again to fetch the rest"
        )
        return EXIT_REMOTE_FAILED
    return EXIT_OK


def _send(args: argparse.Namespace, node: Any, local: Any, credentials: Any) -> int:
    from core.pacs.service import send

    statuses = send(node, args.files, local=local, credentials=credentials)
    failed = [s for s in statuses if not s.ok]
    if args.json:
        _print_json(
            {
                "sent": len(statuses) - len(failed),
                "failed": len(failed),
                "items": [s.to_json() for s in statuses],
            }
        )
    else:
        for status in statuses:
            print(f"{'ok' if status.ok else 'FAILED'}\t{status.path}\t{status.message}")
    if failed:
        _say(f"radassist: {len(failed)} of {len(statuses)} files were not stored by the node")
        return EXIT_REMOTE_FAILED
    return EXIT_OK
