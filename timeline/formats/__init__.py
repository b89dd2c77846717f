"""The edge: readers and writers of other tools' formats, one module per format.

The core (store, replay, projectors, snapshot, diff) never imports this package; formats use
the core or the public API, never each other.
"""

# Named here, not in the API, so that the CLI can offer them without loading the engine.
EXPORT_FORMATS = ("jsonl", "cloudevents", "csv", "geojson", "timelinejs", "datasette-metadata")
