"""The assistant side of the window: AI findings (and, later, the report draft)."""
