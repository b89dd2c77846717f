"""The edge: readers and writers of other tools' formats, one module per format.

The core (store, replay, projectors, snapshot, diff) never imports this package; formats use
the core or the public API, never each other.
"""
