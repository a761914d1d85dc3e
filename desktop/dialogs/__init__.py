"""Dialogs: DICOM tag browser, keyboard shortcuts."""
