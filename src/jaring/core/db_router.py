"""Reading the dashboards' summary tables from a streaming read replica, when there is one.

``JARING_REPLICA_URL`` adds the ``replica`` database (a PostgreSQL hot standby fed by streaming
replication). Only models that declare ``replica_reads = True`` are read there: the reports
app's summary tables, which no person edits — the background refresh rewrites them, so a page
never reads summaries it has just written itself, and a reader already waits for the refresh;
the replica adds its replay lag (milliseconds on a healthy link) to that wait. Everything a
person writes and then expects to see (workers, estimates, claims …) stays on the primary.

Read-your-writes, where a process does write the summaries: inside a transaction on the primary
(the refresh itself, the federation's publish) every read stays on the primary, so a refresh
re-sums the rows it has just counted, never the replica's older ones.

Writes never go to the replica (it refuses them anyway), whatever database an instance was read
from; migrations run on the primary only. A replica that cannot be reached is left alone for
``RETRY_SECONDS`` and the dashboards read the primary meanwhile, with a warning in the log.
"""

from __future__ import annotations

import logging
import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
RETRY_SECONDS = 30.0

logger = logging.getLogger(__name__)


class ReplicaRouter:
    def __init__(self, databases=None) -> None:
        # ``databases`` is a ConnectionHandler; the tests pass their own (two SQLite files).
        self.databases = databases if databases is not None else connections
        self._unreachable_until = 0.0

    def db_for_read(self, model, **hints) -> str | None:
        if (
            getattr(model, "replica_reads", False)
            and REPLICA in self.databases.settings
            and not self.databases[DEFAULT_DB_ALIAS].in_atomic_block
            and self._replica_reachable()
        ):
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        # Explicit, not None: Django would otherwise save an instance to the database it was
        # read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first, second, **hints) -> bool | None:
        # The replica holds the primary's rows: an object read from either may refer to one
        # read from the other.
        if {first._state.db, second._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS

    def _replica_reachable(self) -> bool:
        if time.monotonic() < self._unreachable_until:
            return False
        replica = self.databases[REPLICA]
        try:
            # Once per request (conn_health_checks): a connection the standby dropped is
            # replaced here rather than failing the page's query.
            replica.close_if_health_check_failed()
            replica.ensure_connection()
        except DatabaseError as error:
            self._unreachable_until = time.monotonic() + RETRY_SECONDS
            logger.warning(
                "read replica unreachable, the dashboards read the primary for %.0f s: %s",
                RETRY_SECONDS,
                error,
            )
            return False
        return True
