"""The durable SQLite ledger: every call kept, so history survives Reset, restart and crashes."""

from .rows import write_events
from .schema import LedgerError, migrate
from .sqlite_storage import SqliteStorage, default_path
from .storage import Storage, StorageUnavailable
from .store import Health, Ledger

__all__ = ["Health", "Ledger", "LedgerError", "SqliteStorage", "Storage", "StorageUnavailable", "default_path",
           "migrate", "write_events"]
