"""The store: SQLAlchemy 2 async on SQLite (default) or PostgreSQL. The database is the truth."""
