"""The bundle's third-party licence list, and the gate that keeps GPL-only code out of it.

build.spec calls, after PyInstaller's Analysis (``scripts/`` is on ``sys.path`` there)::

    from third_party_licenses import write_licenses
    write_licenses(a.pure, a.binaries, "build/THIRD_PARTY_LICENSES")

and by hand, before a five-minute bundle build::

    .venv/bin/python scripts/third_party_licenses.py --check-installed [--out FILE]

checks the licences of the ``radassist`` distribution's dependency closure (``requires()``,
recursively, no extras) in the running environment.

What is what
------------
Modules
    Stdlib modules are Python (PSF-2.0); ``core`` and ``desktop`` are RadAssist itself and are
    not listed; everything else is mapped to its installed distribution
    (:func:`importlib.metadata.packages_distributions`, the RECORD where a name is shared).
Binaries
    A file listed in a distribution's RECORD belongs to that distribution (``torch/lib/libgomp``
    to torch, ``PySide6/Qt/lib`` to PySide6-Essentials); a file of the Python installation is
    Python; any other file is a system library, owned by the Debian package ``dpkg-query -S``
    names.
Licence of a distribution
    :data:`KNOWN_LICENCES` (read by a person, where the metadata is wrong or vague), else the
    ``License-Expression`` metadata, else the ``License`` field, else the trove classifiers;
    normalised to SPDX-style names.
Licence of a Debian package
    :data:`SYSTEM_LICENCES` (read by a person), else the ``License`` of the ``Files: *``
    paragraph of a machine-readable ``/usr/share/doc/<package>/copyright``.

The gate
--------
A component is refused when its licence is GPL or AGPL only -- no alternative that is allowed,
no runtime or linking exception -- and when its licence cannot be determined (so that someone
reads it and adds it to a table here). LGPL, MPL, Apache, BSD, MIT, ISC, PSF, HPND, Zlib,
Unicode, public domain and the like are allowed; so is "X OR GPL" when X is.
pylibjpeg-libjpeg (GPL-3.0) is the known trap: it is refused whatever its metadata says.

The code
--------
This file is the entry point (the command line and :func:`write_licenses`); the work is in
the ``licences`` package beside it: ``spdx`` (licence expressions and the verdict),
``tables`` (:data:`KNOWN_LICENCES`, :data:`SYSTEM_LICENCES`), ``distributions`` and
``debian`` (where a licence is read), ``resolve`` (what each module and binary belongs to) and
``render`` (the output text and the gate).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# build.spec and ``python scripts/third_party_licenses.py`` have ``scripts/`` on sys.path; a
# caller that loads this file by its path (the tests, with importlib) may not, and the
# ``licences`` package beside it must still be found.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from licences.component import Component  # noqa: E402
from licences.debian import debian_copyright_licence  # noqa: E402
from licences.distributions import distribution_licence  # noqa: E402
from licences.render import (  # noqa: E402
    LicenceError,
    check_components,
    format_table,
    render_licences,
)
from licences.resolve import (  # noqa: E402
    OWN_DISTRIBUTION,
    OWN_PACKAGES,
    collect_bundle_components,
    collect_installed_components,
    elf_needed,
)
from licences.spdx import (  # noqa: E402
    ALLOWED,
    REFUSED,
    UNKNOWN,
    canonical_name,
    classify_licence,
    elected_licences,
    guess_licence_from_text,
    licence_from_classifiers,
    normalise_expression,
    normalise_licence_id,
)
from licences.tables import KNOWN_LICENCES, SYSTEM_LICENCES  # noqa: E402

__all__ = [
    "ALLOWED",
    "KNOWN_LICENCES",
    "OWN_DISTRIBUTION",
    "OWN_PACKAGES",
    "REFUSED",
    "SYSTEM_LICENCES",
    "UNKNOWN",
    "Component",
    "LicenceError",
    "canonical_name",
    "check_components",
    "classify_licence",
    "collect_bundle_components",
    "collect_installed_components",
    "debian_copyright_licence",
    "distribution_licence",
    "elected_licences",
    "elf_needed",
    "format_table",
    "guess_licence_from_text",
    "licence_from_classifiers",
    "main",
    "normalise_expression",
    "normalise_licence_id",
    "render_licences",
    "write_licenses",
]


def write_licenses(
    modules: Iterable[Any], binaries: Iterable[Sequence[Any]], out_path: str | os.PathLike[str]
) -> list[Component]:
    """Write THIRD_PARTY_LICENSES for a bundle; raise :class:`LicenceError` when the gate fails.

    Parameters
    ----------
    modules
        Module names (or PyInstaller TOC entries ``(name, path, typecode)``, as in ``a.pure``).
        File names (``torch/lib/libc10.so``, ``libssl.so.3``) are skipped here: the
        ``binaries`` entries account for them.
    binaries
        ``(dest_name, source_path[, typecode])`` entries, as in ``a.binaries``.
    out_path
        The UTF-8 text file to write; not written when the gate fails.
    """
    components = collect_bundle_components(modules, binaries)
    check_components(components)
    text = render_licences(components, "Third-party software in the RadAssist bundle")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return components


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check-installed",
        action="store_true",
        help="check the licences of radassist's installed dependency closure",
    )
    parser.add_argument("--out", help="also write the THIRD_PARTY_LICENSES text here")
    args = parser.parse_args(argv)
    if not args.check_installed:
        parser.error("nothing to do: give --check-installed (build.spec calls write_licenses)")
    components = collect_installed_components()
    print(format_table(components))
    try:
        check_components(components)
    except LicenceError as error:
        print(error, file=sys.stderr)
        return 1
    if args.out:
        text = render_licences(components, "Third-party software RadAssist depends on")
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"\nwrote {args.out} ({len(text.encode()) // 1024} KiB)")
    print(f"\n{len(components)} components, all licences allowed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
