"""The OKR and roadmap-critique store: SQLModel models, engine set-up, CRUD, Alembic migrations."""
