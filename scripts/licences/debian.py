"""System libraries: the Debian package that owns a file, and that package's licence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .component import Component
from .spdx import normalise_expression
from .tables import SYSTEM_LICENCES

#: Source files that never end up in a library binary (build system, documentation, tests):
#: their licences do not count when a copyright file has no ``Files: *`` paragraph.
_NOT_IN_BINARY = re.compile(
    r"(^|/)(debian|m4|build-aux|docs?|man|tests?|po)/|(^|/)(INSTALL|ABOUT-NLS|AUTHORS|NEWS"
    r"|README[^/]*|ChangeLog|Makefile(\.in|\.am)?|aclocal\.m4|configure(\.ac)?|config\.(sub"
    r"|guess|rpath)|compile|install-sh|ltmain\.sh|missing|depcomp|test-driver)$"
)


def debian_copyright_licence(text: str) -> str | None:
    """The licence of a machine-readable Debian copyright file: ``Files: *``, else all.

    Without a ``Files: *`` paragraph, the licences of every paragraph about files that can
    end up in the binary are joined with AND.
    """
    machine_readable = re.match(r"(?is)\s*format:\s*\S*copyright-format", text) or (
        re.search(r"(?m)^Files:", text) and re.search(r"(?m)^License:", text)
    )
    if not machine_readable:
        return None
    licences: list[str] = []
    star: str | None = None
    for paragraph in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in paragraph.splitlines():
            if line[:1] in (" ", "\t") and key is not None:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if "files" not in fields or "license" not in fields:
            continue
        licence = fields["license"].split("\n", 1)[0].strip()
        files = fields["files"].split()
        if "*" in files and star is None:
            star = licence
        if licence and not all(_NOT_IN_BINARY.search(f) for f in files):
            licences.append(licence)
    if star:
        return normalise_expression(star)[0]
    unique = list(dict.fromkeys(normalise_expression(lic)[0] for lic in licences))
    if not unique:
        return None
    return normalise_expression(" and ".join(f"({lic})" for lic in unique))[0]


def debian_component(package: str, version: str) -> Component:
    copyright_file = Path("/usr/share/doc") / package / "copyright"
    licence: str | None = None
    origin = "no licence found"
    for pattern, table_licence, note in SYSTEM_LICENCES:
        if re.fullmatch(pattern, package):
            licence, origin = table_licence, f"table in scripts/licences/tables.py ({note})"
            break
    else:
        if copyright_file.is_file():
            parsed = debian_copyright_licence(
                copyright_file.read_text(encoding="utf-8", errors="replace")
            )
            if parsed:
                licence, origin = parsed, f"{copyright_file} (machine-readable)"
            else:
                origin = (
                    f"{copyright_file} is not machine-readable; the package is not in the table"
                )
        else:
            origin = f"{copyright_file} is missing"
    return Component(
        name=package,
        version=version,
        source="Debian package",
        licence=licence,
        licence_origin=origin,
        texts=[copyright_file] if copyright_file.is_file() else [],
    )


def _usr_variants(path: str) -> list[str]:
    variants = [path, os.path.realpath(path)]
    for p in list(variants):
        if p.startswith("/usr/"):
            variants.append(p[len("/usr") :])
        elif p.startswith(("/lib", "/bin", "/sbin")):
            variants.append("/usr" + p)
    return list(dict.fromkeys(variants))


def dpkg_owners(paths: Sequence[str]) -> dict[str, str]:
    """Debian binary package owning each path (merged-/usr aware); missing when none does."""
    if not paths or shutil.which("dpkg-query") is None:
        return {}
    variant_of: dict[str, str] = {}
    for path in paths:
        for variant in _usr_variants(path):
            variant_of.setdefault(variant, path)
    found: dict[str, str] = {}
    queries = list(variant_of)
    for start in range(0, len(queries), 200):
        result = subprocess.run(
            ["dpkg-query", "-S", *queries[start : start + 200]],
            capture_output=True,
            text=True,
            check=False,
        )
        for line in result.stdout.splitlines():
            if line.startswith("diversion ") or ": " not in line:
                continue
            packages, queried = line.rsplit(": ", 1)
            original = variant_of.get(queried.strip())
            if original and original not in found:
                found[original] = packages.split(",")[0].strip().split(":")[0]
    return found


def dpkg_versions(packages: Sequence[str]) -> dict[str, str]:
    if not packages:
        return {}
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Version}\n", *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    versions = {}
    for line in result.stdout.splitlines():
        name, _, version = line.partition("\t")
        versions.setdefault(name, version)
    return versions
