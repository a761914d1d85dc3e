"""RadAssist's PySide6 desktop window (see desktop/__main__.py for the entry point)."""
