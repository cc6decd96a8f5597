"""Directory search: keyword, semantic and hybrid queries over the catalogue of profiles, with
facets, sorting and paging. Reads what ``directory.indexing`` writes."""
