"""The ``projects`` context: intake, lots, tenders, notices, timelines, suspension, cancellation
and re-tender (docs/contexts/projects.md)."""
