"""Storage (services layer): the declarative base, engines, sessions and Alembic migrations."""
