"""The central server (FastAPI): ingest of the centres' events, projections, the catalogue, the
reports and their page, its own database and Alembic migrations (``migrations/``). Never imports Qt."""
