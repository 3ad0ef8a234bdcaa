"""The store: SQLModel tables, engine and sessions, migrations. SQLite by default, PostgreSQL in production."""
