"""The issue put together: selection, articles, enrichment, curated links' pages, assembly into an Issue."""
