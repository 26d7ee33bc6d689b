"""sqlite-utils for the migrations, and nested transactions as SQL savepoints, over the store's connection."""

from __future__ import annotations

from contextlib import contextmanager


class ConnectionMixin:
    """Mixed into the store: ``self.conn`` is its sqlite3 connection."""

    _db = None
    _savepoints = 0

    @property
    def db(self):
        """sqlite-utils over the current connection, for the migrations.  Imported on first use: it loads
        pandas and numpy when they are installed, which an ordinary open or a CLI command should not pay for."""
        import sqlite_utils

        if self._db is None or self._db.conn is not self.conn:
            self._db = sqlite_utils.Database(self.conn)
        return self._db

    @contextmanager
    def _savepoint(self):
        """A nested transaction: rolled back alone when its block fails, kept by the outer transaction."""
        self._savepoints += 1
        name = f"preflight_sp{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        else:
            self.conn.execute(f"RELEASE {name}")
        finally:
            self._savepoints -= 1
