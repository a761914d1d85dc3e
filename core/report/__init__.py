"""Reports: the document model, drafting engines, grounding check, drafts on disk, export."""
