"""The bundle's third-party licence list and its GPL gate (``scripts/third_party_licenses.py``).

spdx
    Licence ids and expressions: normalisation, parsing, the allowed/refused/unknown verdict.
tables
    The licences people read: distributions, Debian packages, standard licence texts.
component
    :class:`~licences.component.Component`, one third-party component and what brought it in.
distributions
    A PyPI distribution's licence: metadata, licence files, SBOMs.
debian
    A system library's Debian package and that package's licence.
resolve
    Modules and binaries mapped to components (distributions, Debian packages, Python).
render
    The THIRD_PARTY_LICENSES text, and the gate (:func:`~licences.render.check_components`).
"""
