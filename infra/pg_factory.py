"""The eventsourcing PostgreSQL factory with every wait on its connections bounded.

The library sets a lock timeout on the events table and an idle-in-transaction timeout from
its environment, but no statement timeout and no lock timeout elsewhere; this factory gives each
connection of its pool the engine's libpq ``options`` (``Settings.pg_options``), so no statement
of the event store can run, or wait, without end.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

OPTIONS = "POSTGRES_CONNECTION_OPTIONS"


class BoundedPostgresFactory(PostgresFactory):
    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        options = self.env.get(OPTIONS)
        kwargs = self.datastore.pool.kwargs
        if options and isinstance(kwargs, dict):
            kwargs["options"] = options
