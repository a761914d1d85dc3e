"""Tables kept by people. Each entry says where its licence was read.

An entry in :data:`KNOWN_LICENCES` or :data:`SYSTEM_LICENCES` wins over what the metadata or
the Debian copyright file says; a component the gate cannot place ("unknown") is added here
after someone has read its licence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: Distributions (canonical names) whose metadata is missing, vague or wrong for what a bundle
#: ships. An entry here wins over the metadata.
KNOWN_LICENCES: Final[dict[str, tuple[str, str]]] = {
    # The trap: JPEG decoding through Thomas Richter's libjpeg, GPL-3.0 (its LICENSE and
    # PyPI page). RadAssist never uses it (README, "Transfer syntaxes and decoder licences").
    "pylibjpeg-libjpeg": ("GPL-3.0-only", "its LICENSE: GNU GPL version 3"),
    # COPYING.txt in its dist-info: the bootloader and PyInstaller/loader are GPL-2.0-or-later
    # with the Bootloader Exception; run-time hooks and fake-modules (_pyi_rth_utils,
    # pyi_splash) are Apache-2.0. Those are the parts a bundle embeds.
    "pyinstaller": (
        "(GPL-2.0-or-later WITH Bootloader-exception) AND Apache-2.0",
        "COPYING.txt in its dist-info (bootloader exception; run-time hooks Apache-2.0)",
    ),
    # LICENSE in its dist-info: build-time hooks GPL-2.0-or-later (never bundled: if one of
    # its modules ever is, that is a mistake and is refused); run-time hooks Apache-2.0.
    "pyinstaller-hooks-contrib": (
        "GPL-2.0-or-later",
        "LICENSE in its dist-info (its modules are build-time hooks; only its run-time hooks, "
        "Apache-2.0, belong in a bundle)",
    ),
    # Metadata says only "BSD"; the LICENSE files in the dist-infos are 3-clause BSD texts.
    "jinja2": ("BSD-3-Clause", "LICENSE.txt in its dist-info"),
    "mpmath": ("BSD-3-Clause", "LICENSE in its dist-info"),
    "sympy": ("BSD-3-Clause", "LICENSE in its dist-info"),
    "reportlab": ("BSD-3-Clause", "LICENSE in its dist-info"),
    # Classifiers say only "Apache Software License".
    "safetensors": ("Apache-2.0", "LICENSE in its dist-info"),
    "tokenizers": (
        "Apache-2.0",
        "sboms/tokenizers-python.cyclonedx.json in its dist-info: the tokenizers crate is "
        "Apache-2.0 (the wheel ships no licence file)",
    ),
    # The GGUF engine. Its bindings and the llama.cpp/ggml it compiles into
    # llama_cpp/lib (libllama, libggml, libggml-base, every libggml-cpu-<variant>) are
    # MIT: LICENSE.md of the sdist and vendor/llama.cpp/LICENSE.
    "llama-cpp-python": (
        "MIT",
        "LICENSE.md in its sdist, and vendor/llama.cpp/LICENSE for the compiled llama.cpp "
        "and ggml libraries it installs",
    ),
    # llama.cpp's gguf-py (the GGUF reader and writer): LICENSE in its dist-info.
    "gguf": ("MIT", "LICENSE in its dist-info (llama.cpp's gguf-py)"),
}

#: Debian binary packages (regular expressions on the name) whose copyright file is not
#: machine-readable, or whose ``Files: *`` paragraph is not the licence of the library itself.
SYSTEM_LICENCES: Final[tuple[tuple[str, str, str], ...]] = (
    (
        r"libgcc-s\d+|libstdc\+\+\d+|libgomp\d+|libgfortran\d+|libquadmath\d+|libatomic\d+",
        "GPL-3.0-or-later WITH GCC-exception-3.1",
        "gcc-*-base copyright (free text): runtime libraries under the GCC Runtime Library "
        "Exception",
    ),
    (r"libc6", "LGPL-2.1-or-later", "glibc copyright (free text)"),
    (r"libreadline\d+", "GPL-3.0-or-later", "copyright, Files: *"),
    (r"libgdbm\d+|libgdbm-compat\d+", "GPL-3.0-or-later", "copyright, Files: *"),
    (r"libcairo2|libcairo-gobject2", "LGPL-2.1-only OR MPL-1.1", "cairo copyright (free text)"),
    (
        r"libfontconfig1",
        "HPND-sell-variant",
        "fontconfig copyright (free text): Keith Packard's permission notice",
    ),
    (r"libgcrypt20", "LGPL-2.1-or-later", "copyright (free text): 'License (library)'"),
    (
        r"libgssapi-krb5-2|libk5crypto3|libkrb5-3|libkrb5support0",
        "BSD-3-Clause AND MIT",
        "krb5 copyright (free text): MIT Kerberos BSD-style notice and MIT-style notices",
    ),
    (r"libpixman-1-0", "MIT", "pixman copyright (free text)"),
    (r"libselinux1", "public-domain", "libselinux copyright (free text)"),
    (
        r"libx11-\d+|libx11-xcb1|libxau6|libxdmcp6|libxext6|libxrender1|libxi6|libxfixes3"
        r"|libxcb[-\w]*\d+|libxkbcommon0|libxkbcommon-x11-0",
        "MIT",
        "X.Org / xcb / xkbcommon copyright (free text): MIT/X11 permission notices",
    ),
    (
        r"libblkid1|libmount1|libsmartcols1",
        "LGPL-2.1-or-later",
        "util-linux copyright, Files: libblkid/*, libmount/*, libsmartcols/*",
    ),
    (r"libuuid1", "BSD-3-Clause", "util-linux copyright, Files: libuuid/*"),
    (r"libkeyutils1", "LGPL-2.0-or-later", "keyutils copyright, Files: keyutils.*"),
    (
        r"libcom-err2",
        "MIT",
        "e2fsprogs: lib/et is under an MIT-style licence (upstream NOTICE); Debian's copyright "
        "lists it under Files: * (GPL-2)",
    ),
    (
        r"libbsd0",
        "BSD-3-Clause AND BSD-2-Clause AND BSD-4-Clause AND ISC AND MIT AND Beerware"
        " AND public-domain",
        "copyright: no Files: * paragraph; the licences of all its paragraphs",
    ),
    (
        r"libglib2\.0-0",
        "LGPL-2.1-or-later",
        "copyright, Files: * (LGPL-2+ and LGPL-2.1+ with permissive notices)",
    ),
    (r"libdbus-1-3", "AFL-2.1 OR GPL-2.0-or-later", "copyright, Files: *"),
    (
        r"libcrypt1",
        "LGPL-2.1-or-later",
        "libxcrypt copyright (free text): 'The overall license for libxcrypt is the GNU LGPL 2.1 "
        "or later'",
    ),
    (r"libdrm2|libdrm-[\w]+1", "MIT", "libdrm copyright (free text): MIT permission notice"),
    (
        r"libasound2",
        "LGPL-2.1-or-later",
        "alsa-lib copyright (it spells the library's 'LPGL-2.1+')",
    ),
    (r"libfreetype6", "FTL OR GPL-2.0-or-later", "copyright, Files: * and FreeType's LICENSE"),
)

#: Standard licence texts on Debian, for components that ship none of their own.
COMMON_LICENSES_DIR: Final = Path("/usr/share/common-licenses")
STANDARD_TEXTS: Final[dict[str, tuple[str, ...]]] = {
    "LGPL-3.0": ("LGPL-3", "GPL-3"),  # LGPL-3 is a set of additional permissions on GPL-3
    "LGPL-2.1": ("LGPL-2.1",),
    "LGPL-2.0": ("LGPL-2",),
    "Apache-2.0": ("Apache-2.0",),
    "MPL-2.0": ("MPL-2.0",),
    "MPL-1.1": ("MPL-1.1",),
    "CC0-1.0": ("CC0-1.0",),
}
