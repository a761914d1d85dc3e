"""RadAssist engine: DICOM reading, analysis and reporting without Qt.

Nothing here imports PySide6, shiboken6 or desktop; torch and transformers are
imported lazily, only when a model is first needed.
"""

__version__ = "0.1.0"
