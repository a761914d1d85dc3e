"""Which component each bundled module and binary belongs to.

Stdlib modules and files of the Python installation are Python (PSF-2.0); ``core`` and
``desktop`` are RadAssist itself and are not listed; a module or a file listed in a
distribution's RECORD belongs to that distribution; any other file is a system library,
owned by the Debian package ``dpkg-query -S`` names.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import re
import struct
import sys
import sysconfig
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from .component import Component
from .debian import debian_component, dpkg_owners, dpkg_versions
from .distributions import apply_sboms, dist_licence_files, distribution_licence
from .spdx import ALLOWED, canonical_name

OWN_DISTRIBUTION: Final = "radassist"
OWN_PACKAGES: Final = frozenset({"core", "desktop"})


def _python_component() -> Component:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts = [p for p in (stdlib / "LICENSE.txt",) if p.is_file()]
    return Component(
        name="Python",
        version=platform.python_version(),
        source="Python",
        licence="PSF-2.0",
        licence_origin="the Python licence (LICENSE.txt of the Python installation)",
        texts=texts,
        text_root=stdlib,
    )


class _Resolver:
    """Maps modules and files to components, one build's worth of caches."""

    def __init__(self) -> None:
        self.components: dict[str, Component] = {}
        self.unresolved: dict[str, Component] = {}
        self._pkg_dists = md.packages_distributions()
        self._dists: dict[str, md.Distribution] = {}
        for dist in md.distributions():
            self._dists.setdefault(canonical_name(dist.metadata["Name"] or ""), dist)
        self._file_index: dict[str, str] | None = None
        self._by_basename: dict[str, list[str]] = defaultdict(list)
        self._stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
        paths = sysconfig.get_paths()
        # The stdlib folders, not the whole prefix: with a distribution's Python the prefix is
        # /usr, and the system libraries there are not Python's.
        self._python_dirs = {Path(paths[k]).resolve() for k in ("stdlib", "platstdlib")}
        self._python_libdir = Path(sysconfig.get_config_var("LIBDIR") or sys.base_prefix).resolve()

    # -- components ----------------------------------------------------------------------

    def python(self) -> Component:
        if "python" not in self.components:
            self.components["python"] = _python_component()
        return self.components["python"]

    def distribution(self, name: str) -> Component | None:
        key = canonical_name(name)
        if key == OWN_DISTRIBUTION:
            return None
        comp_key = "pypi:" + key
        if comp_key not in self.components:
            dist = self._dists.get(key)
            if dist is None:
                dist = md.distribution(name)
            licence, origin = distribution_licence(dist)
            texts = dist_licence_files(dist)
            self.components[comp_key] = Component(
                name=dist.metadata["Name"] or name,
                version=dist.version,
                source="PyPI distribution",
                licence=licence,
                licence_origin=origin,
                texts=texts,
                text_root=Path(str(dist.locate_file(""))),
            )
            apply_sboms(self.components[comp_key], dist)
        return self.components[comp_key]

    def unresolved_item(self, what: str) -> Component:
        if what not in self.unresolved:
            self.unresolved[what] = Component(
                name=what,
                version="?",
                source="unresolved",
                licence=None,
                licence_origin="no installed distribution, Python or Debian package owns it",
            )
        return self.unresolved[what]

    # -- modules -------------------------------------------------------------------------

    def add_module(self, name: str, path: str | None = None) -> None:
        top = name.split(".", 1)[0]
        if top in OWN_PACKAGES:
            return
        if path and self._is_python_file(path):
            self.python().modules.add(name)
            return
        if top in sys.stdlib_module_names or self._is_stdlib_name(top):
            self.python().modules.add(name)
            return
        if top.startswith(("_pyi_rth_", "pyi_splash", "pyimod", "pyiboot")):
            comp = self.distribution("pyinstaller")
            if comp:
                comp.modules.add(name)
            return
        owners = sorted(set(self._pkg_dists.get(top, [])), key=canonical_name)
        if len(owners) > 1 and path:
            owner = self.owner_of_file(path)
            owners = [owner] if owner else owners
        if not owners:
            owner = self.owner_of_file(path) if path else None
            if owner is None:
                self.unresolved_item(f"module {top}").modules.add(name)
                return
            owners = [owner]
        for owner in owners:  # a name several distributions share: each one is listed
            comp = self.distribution(owner)
            if comp:
                comp.modules.add(name)

    def _is_stdlib_name(self, top: str) -> bool:
        candidates = [self._stdlib / f"{top}.py", self._stdlib / top]
        dynload = self._stdlib / "lib-dynload"
        return any(p.exists() for p in candidates) or any(dynload.glob(f"{top}.*"))

    def _is_python_file(self, path: str) -> bool:
        real = Path(path).resolve()
        if "site-packages" in real.parts or "dist-packages" in real.parts:
            return False
        if real.parent == self._python_libdir and real.name.startswith("libpython"):
            return True
        return any(real.is_relative_to(root) for root in self._python_dirs)

    # -- files ---------------------------------------------------------------------------

    def _index(self) -> dict[str, str]:
        if self._file_index is None:
            index: dict[str, str] = {}
            for key, dist in self._dists.items():
                for f in dist.files or []:
                    path = os.path.normpath(str(dist.locate_file(f)))
                    index.setdefault(path, key)
                    self._by_basename[os.path.basename(path)].append(path)
            self._file_index = index
        return self._file_index

    def owner_of_file(self, path: str) -> str | None:
        index = self._index()
        norm = os.path.normpath(os.path.abspath(path))
        if norm in index:
            return index[norm]
        real = os.path.realpath(norm)
        if real in index:
            return index[real]
        for candidate in self._by_basename.get(os.path.basename(norm), []):
            if os.path.realpath(candidate) == real:
                return index[candidate]
        return None

    def add_file(self, dest: str, source: str, system: dict[str, str]) -> None:
        """A binary; system libraries are collected in ``system`` (source -> dest) for dpkg."""
        owner = self.owner_of_file(source)
        if owner is not None:
            comp = self.distribution(owner)
            if comp:
                comp.files.add(dest)
            return
        if self._is_python_file(source):
            self.python().files.add(dest)
            return
        parts = Path(source).parts
        for marker in ("site-packages", "dist-packages"):
            if marker in parts:
                folder = parts[parts.index(marker) + 1]
                guess = self._pkg_dists.get(folder) or self._pkg_dists.get(
                    folder.removesuffix(".libs")
                )
                if not guess and canonical_name(folder.removesuffix(".libs")) in self._dists:
                    guess = [folder.removesuffix(".libs")]
                if guess:
                    comp = self.distribution(guess[0])
                    if comp:
                        comp.files.add(dest)
                    return
                self.unresolved_item(f"file {dest}").files.add(f"{dest} ({source})")
                return
        system[source] = dest

    def add_system_libraries(self, system: dict[str, str]) -> None:
        owners = dpkg_owners(list(system))
        versions = dpkg_versions(sorted(set(owners.values())))
        for source, dest in sorted(system.items()):
            package = owners.get(source)
            if package is None:
                self.unresolved_item(f"{dest} ({source})").files.add(f"{dest} ({source})")
                continue
            key = "deb:" + package
            if key not in self.components:
                self.components[key] = debian_component(package, versions.get(package, "?"))
            self.components[key].files.add(f"{dest} ({source})")


# --------------------------------------------------------------------------------------------
# Which bundled binaries link a library (for the failure message)
# --------------------------------------------------------------------------------------------


def elf_needed(path: str) -> list[str]:
    """The DT_NEEDED entries of an ELF file ([] for anything else)."""
    try:
        with open(path, "rb") as f:
            ident = f.read(64)
            if len(ident) < 64 or ident[:4] != b"\x7fELF":
                return []
            is64, endian = ident[4] == 2, "<" if ident[5] == 1 else ">"
            if is64:
                (shoff,) = struct.unpack_from(endian + "Q", ident, 0x28)
                shentsize, shnum = struct.unpack_from(endian + "HH", ident, 0x3A)
            else:
                (shoff,) = struct.unpack_from(endian + "I", ident, 0x20)
                shentsize, shnum = struct.unpack_from(endian + "HH", ident, 0x2E)
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            fmt = endian + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")
            sections = [
                struct.unpack_from(fmt, table, i * shentsize)
                for i in range(shnum)
                if (i + 1) * shentsize <= len(table)
            ]
            names: list[str] = []
            for sec in sections:
                if sec[1] != 6:  # SHT_DYNAMIC
                    continue
                offset, size, link = sec[4], sec[5], sec[6]
                strtab = sections[link]
                f.seek(offset)
                dyn = f.read(size)
                f.seek(strtab[4])
                strings = f.read(strtab[5])
                entry = endian + ("qQ" if is64 else "iI")
                step = struct.calcsize(entry)
                for i in range(0, len(dyn) - step + 1, step):
                    tag, value = struct.unpack_from(entry, dyn, i)
                    if tag == 0:
                        break
                    if tag == 1:  # DT_NEEDED
                        end = strings.find(b"\0", value)
                        names.append(strings[value:end].decode("utf-8", "replace"))
            return names
    except (OSError, struct.error, IndexError):
        return []


def _linked_from(library_dest: str, binaries: Sequence[tuple[str, str]]) -> list[str]:
    soname = os.path.basename(library_dest)
    return sorted(dest for dest, source in binaries if soname in elf_needed(source))


# --------------------------------------------------------------------------------------------
# What a bundle, or the installed environment, is made of
# --------------------------------------------------------------------------------------------


_FILE_NAME = re.compile(r"[/\\]|\.(so|pyd|dll|dylib)(\.[\d.]+)?$", re.IGNORECASE)


def _module_entries(modules: Iterable[Any]) -> Iterator[tuple[str, str | None]]:
    for entry in modules:
        if isinstance(entry, str):
            name, path = entry, None
        else:  # a PyInstaller TOC entry: (name, path, typecode)
            name, path = str(entry[0]), (str(entry[1]) if len(entry) > 1 and entry[1] else None)
        if _FILE_NAME.search(name):
            continue  # a file name from a.binaries: it is checked as a binary
        yield name, path


def collect_bundle_components(
    modules: Iterable[Any], binaries: Iterable[Sequence[Any]]
) -> list[Component]:
    """The components behind PyInstaller's ``a.pure`` (or module names) and ``a.binaries``."""
    resolver = _Resolver()
    for name, path in _module_entries(modules):
        resolver.add_module(name, path)
    pairs: list[tuple[str, str]] = []
    system: dict[str, str] = {}
    for entry in binaries:
        dest, source = str(entry[0]), str(entry[1])
        pairs.append((dest, source))
        resolver.add_file(dest, source, system)
    resolver.add_system_libraries(system)
    comp = resolver.distribution("pyinstaller") if "pyinstaller" in resolver._dists else None
    if comp is not None:
        comp.files.add("the bootloader (every bundle)")
    components = [*resolver.components.values(), *resolver.unresolved.values()]
    for c in components:  # say which bundled binaries need a library that is refused
        if c.verdict != ALLOWED and c.source in ("Debian package", "unresolved"):
            for item in list(c.files):
                users = _linked_from(item.split(" (", 1)[0], pairs)
                if users:
                    c.files.add(f"linked by {', '.join(users[:5])}")
    return components


def collect_installed_components(root: str = OWN_DISTRIBUTION) -> list[Component]:
    """The dependency closure of ``root`` (requires(), recursively, no extras), and Python."""
    from packaging.requirements import Requirement  # a dependency of PyInstaller and torch

    resolver = _Resolver()
    resolver.python().required_by.add(root)
    seen = {canonical_name(root)}
    queue = [(root, root)]
    missing: list[str] = []
    while queue:
        name, chain = queue.pop(0)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            missing.append(chain)
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            key = canonical_name(req.name)
            if key in seen:
                continue
            seen.add(key)
            sub_chain = f"{chain} > {req.name}"
            try:
                comp = resolver.distribution(req.name)
            except md.PackageNotFoundError:
                resolver.unresolved_item(f"{req.name} (not installed)").required_by.add(chain)
                continue
            if comp is not None:
                comp.required_by.add(chain)
            queue.append((req.name, sub_chain))
    if missing:
        raise SystemExit(f"not installed: {', '.join(missing)}")
    return [*resolver.components.values(), *resolver.unresolved.values()]
