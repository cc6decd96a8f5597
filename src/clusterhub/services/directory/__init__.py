"""The directory of cluster organisations: profiles (validation, saving, revisions), their
checks and facts, labels, partnerships, imports and exports, the CORDIS participants, and the
indexing that keeps keyword and semantic search current on every save."""
