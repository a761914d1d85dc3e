"""The study archive in the window: the study list, the receiving node, exports, priors.

Modules
-------
keeper
    :class:`ArchiveKeeper`: the window's one archive (opened on a job thread), retention
    and the standing receiver with its batched refresh.
study_model, study_list
    The study list dock: search as you type, sort, open with Enter, import, delete, rebuild.
window_part
    :class:`ArchiveWindowPart`: the dock, the receiver's status, opening from the archive,
    progressive opening of a study arriving from the PACS.
priors
    The banner offering the most relevant prior, and the side-by-side comparison.
export_dialog
    File → Export → Anonymised Study / Study to CD/USB folder (DICOMDIR).
settings_dialog
    Settings → Study Archive: the size limit and the receiver.
menu_slots
    The slots of the archive and PACS menu entries.
"""
