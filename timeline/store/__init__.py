"""The event log: one contract, several backends."""

from timeline.store.sqlite import BATCH_SIZE, BUSY_TIMEOUT_S, GENESIS_HASH, AppendResult, EventStore

__all__ = ["BATCH_SIZE", "BUSY_TIMEOUT_S", "GENESIS_HASH", "AppendResult", "EventStore"]
