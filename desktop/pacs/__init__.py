"""The PACS dialogs: DICOM nodes, Query/Retrieve, and Send to PACS.

Modules
-------
common
    What the three dialogs share: the session's credential store, reading the nodes
    file, the node chooser, and the secret prompt.
node_forms
    The forms that edit one node (local, DIMSE, DICOMweb), with per-field validation.
nodes_dialog
    Settings → DICOM Nodes… (:class:`NodesDialog`).
retrieval_job
    The Qt-free job that retrieves a study series by series (so the first series can
    open while the rest arrives).
query_dialog
    File → Query PACS… (:class:`QueryDialog`).
send_dialog
    Report → Send to PACS… (:class:`SendDialog`).

Every network call runs on :mod:`desktop.workers` through a :class:`~desktop.workers.JobSlot`;
nothing network-bound runs on the GUI thread.
"""
