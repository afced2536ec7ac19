"""The bulk path, walled off (DESIGN): the million-row import (`importer`), the lookup
indexes it sets aside and rebuilds (`indexes`), the funnel tally's folding
(`funnel_tally`) and the vendor-specific SQL they share (`sql`: COPY or executemany, id
blocks, the importing connection's settings, the SQLite triggers).

It makes the same decisions as the single path by calling the same pure functions
(`leads.cleaning`, the payload builders of `leads.events`); the business steps (capture,
cleaning, scoring, assignment, follow-up, stages, pool, conversion) never import it, as
an import-linter contract in pyproject.toml checks.
"""
