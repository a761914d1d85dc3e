"""House rule 7 and issue 11: every analysis and drafting command runs with no network.

Each command runs in a network namespace of its own with no interface up
(``unshare -n``), under ``strace -f`` tracing the network system calls of the command
and every process it starts (fork server, decoder workers, the model process). The
only sockets allowed are AF_UNIX ones: multiprocessing's fork server listens on one and
each new child connects to it. A command that tried to reach a host would open an
AF_INET or AF_INET6 socket (and fail here); one that asked the kernel about interfaces
would open AF_NETLINK: both fail the test.

One probe is allowed, and only as it is: urllib3 asks at import whether IPv6 works by
binding a socket to ``::1`` port 0 (loopback, never connected, nothing sent). urllib3
comes with requests, which dicomweb-client needs, and pydicom imports requests when it
is installed (for its optional test-file downloader). Any other call on an AF_INET or
AF_INET6 socket (connect, sendto, listen, a bind to another address) still fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.analysis.manifest import ModelPackage
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package

_REPO = Path(__file__).resolve().parents[2]
_STRACE = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=%network"]
#: A system call that names an address family: socket(), socketpair(), and any call with
#: a socket address (connect, bind, sendto...).
_FAMILY = re.compile(r"\b(socket|socketpair)\((AF_\w+|\d+)|sa_family=(AF_\w+|\d+)")


def _sandbox() -> tuple[list[str], str]:
    """The command prefix that runs a command with no network under strace, or why none."""
    if not sys.platform.startswith("linux"):
        return [], "network namespaces and strace are Linux-only"
    for tool in ("unshare", "strace"):
        if shutil.which(tool) is None:
            return [], f"{tool} is not installed (make install adds strace)"
    # Root makes the namespace itself; anyone else through a user namespace (-r).
    errors = []
    for unshare in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        probe = subprocess.run(
            [*unshare, *_STRACE, "-o", os.devnull, "true"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0:
            return [*unshare, *_STRACE], ""
        errors.append(probe.stderr.strip()[:200])
    return [], f"unshare -n with strace cannot run here: {' / '.join(errors)}"


_PREFIX, _WHY_NOT = _sandbox()
pytestmark = pytest.mark.skipif(not _PREFIX, reason=_WHY_NOT)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    return make_package(tmp_path_factory.mktemp("models") / "offline-model", demo=True)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    rng = np.random.default_rng(11)
    context = make_study_context(rng, description="CHEST")
    write_cxr(folder / "pa.dcm", rng, view="PA", size=(70, 56), study=context)
    return folder


def _offline(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``radassist ARGS`` with no network, under strace; returns the run and its trace."""
    trace = tmp_path / "network.trace"
    env = {**os.environ, "RADASSIST_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [*_PREFIX, "-o", str(trace), sys.executable, "-m", "core.cli", *args],
        cwd=_REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done, trace.read_text(encoding="utf-8", errors="replace")


def _families(trace: str) -> list[str]:
    return [
        next(group for group in match.groups()[1:] if group) for match in _FAMILY.finditer(trace)
    ]


#: urllib3's IPv6 probe: a socket, and a bind of it to ::1 port 0 (nothing else).
_IPV6_PROBE = re.compile(
    r"socket\(AF_INET6, SOCK_STREAM\|SOCK_CLOEXEC, IPPROTO_IP\)"
    r"|bind\(\d+, \{sa_family=AF_INET6, sin6_port=htons\(0\), [^}]*"
    r'inet_pton\(AF_INET6, "::1", &sin6_addr\)[^}]*\}, \d+\)'
)


def _assert_only_unix_sockets(trace: str) -> None:
    trace = "\n".join(line for line in trace.splitlines() if not _IPV6_PROBE.search(line))
    families = _families(trace)
    # The fork server's socket proves strace followed the command (and its children).
    assert "AF_UNIX" in families, f"no socket traced at all:\n{trace[:2000]}"
    others = sorted(set(families) - {"AF_UNIX"})
    assert not others, f"sockets other than AF_UNIX: {others}\n{trace[:4000]}"


def test_the_family_parser_sees_every_socket() -> None:
    trace = (
        "12 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 11\n"
        "13 connect(3, {sa_family=AF_INET, sin_port=htons(443)}, 16) = -1 ENETUNREACH\n"
        "14 socketpair(AF_UNIX, SOCK_STREAM, 0, [4, 5]) = 0\n"
        "15 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 6\n"
    )
    assert _families(trace) == ["AF_UNIX", "AF_INET", "AF_UNIX", "AF_NETLINK"]


def test_only_the_ipv6_probe_is_let_through() -> None:
    probe = (
        "7 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3\n"
        "7 bind(3, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), "
        'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 EADDRNOTAVAIL\n'
        "7 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 10\n"
    )
    _assert_only_unix_sockets(probe)
    for reaching in (
        '7 connect(3, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "::1", '
        "&sin6_addr)}, 28) = -1 ENETUNREACH\n",
        '7 bind(3, {sa_family=AF_INET6, sin6_port=htons(0), inet_pton(AF_INET6, "::", '
        "&sin6_addr)}, 28) = 0\n",
        "7 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3\n",
    ):
        with pytest.raises(AssertionError, match="other than AF_UNIX"):
            _assert_only_unix_sockets(probe + reaching)


def test_analyze_opens_no_network_socket(
    package: ModelPackage, study: Path, tmp_path: Path
) -> None:
    heatmaps = tmp_path / "heatmaps"
    done, trace = _offline(
        [
            "analyze",
            str(study),
            "--model",
            str(package.folder),
            "--json",
            "--heatmap-dir",
            str(heatmaps),
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert '"findings"' in done.stdout
    _assert_only_unix_sockets(trace)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_draft_opens_no_network_socket(
    package: ModelPackage, study: Path, tmp_path: Path, lang: str
) -> None:
    done, trace = _offline(
        [
            "draft",
            str(study),
            "--engine",
            "template",
            "--analysis-model",
            str(package.folder),
            "--lang",
            lang,
            "--json",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert '"sections"' in done.stdout
    _assert_only_unix_sockets(trace)


def test_report_check_opens_no_network_socket(
    package: ModelPackage, study: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.txt"
    report.write_text("FINDINGS:\nThe lungs are clear.\n\nIMPRESSION:\nNormal.\n")
    done, trace = _offline(
        ["check", str(study), "--report", str(report), "--analysis-model", str(package.folder)],
        tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: items to review
    _assert_only_unix_sockets(trace)


@pytest.mark.slow
def test_language_model_draft_opens_no_network_socket(
    package: ModelPackage, study: Path, tmp_path: Path
) -> None:
    from tests.core.llm_helpers import make_tiny_causal_lm

    model = make_tiny_causal_lm(tmp_path / "tiny-lm")
    done, trace = _offline(
        [
            "draft",
            str(study),
            "--engine",
            "llm",
            "--model",
            str(model),
            "--analysis-model",
            str(package.folder),
            "--max-new-tokens",
            "8",
            "--json",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert '"language_model"' in done.stdout
    _assert_only_unix_sockets(trace)
