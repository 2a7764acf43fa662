"""The durable SQLite ledger: every call kept, so history survives Reset, restart and crashes."""

from .schema import LedgerError, migrate
from .store import Health, Ledger, default_path, write_events

__all__ = ["Health", "Ledger", "LedgerError", "default_path", "migrate", "write_events"]
