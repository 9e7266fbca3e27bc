"""SQL persistence of the book (SQLAlchemy 2 Core): schema, journal writer, queries."""
