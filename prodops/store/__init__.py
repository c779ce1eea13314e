"""Store infrastructure: the engine (``db``), the one safe edit (``versioning``), migrations.

Features keep their own models and CRUD (``prodops.okr``, ``prodops.critique``, ...); nothing here
imports a feature, except the migration environment that registers every table.
"""

MAX_ID = 2**63 - 1  # the largest id a stored row can have (a signed 64-bit integer)
