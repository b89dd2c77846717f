"""Published copies: the exports of a signed log carry its chain and signed heads, and a reader can check them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke as run
from helpers import ok

from timeline.store.rows import record_to_row

DATASET = Path(__file__).parent.parent / "timeline" / "datasets" / "kursk-2024.jsonl"


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path]:
    """(a signed log of the Kursk events, the public key that signed it)."""
    db, key = tmp_path / "signed.db", tmp_path / "newsroom.key"
    ok("init", "--db", db)
    ok("import", DATASET, "--db", db)
    ok("keygen", "--out", key)
    ok("sign", "--key", key, "--db", db)
    return db, Path(f"{key}.pub")


@pytest.mark.parametrize("format_", ["jsonl", "cloudevents"])
def test_an_export_of_a_signed_log_verifies_against_the_key(signed, tmp_path, format_):
    db, public = signed
    exported = tmp_path / f"published.{format_}"
    ok("export", "--format", format_, "-o", exported, "--db", db)
    report = json.loads(ok("verify", exported, "--trust", public, "--json"))
    assert report["ok"] and report["signed_seq"] == 47 and report["events"] == 47
    last = json.loads(exported.read_text().splitlines()[-1])
    assert "signed_heads" in last or last["type"] == "timeline.signed_head"


@pytest.mark.parametrize("format_", ["jsonl", "cloudevents"])
def test_an_edited_line_of_an_export_fails_verify_at_its_seq(signed, tmp_path, format_):
    db, public = signed
    exported = tmp_path / f"published.{format_}"
    ok("export", "--format", format_, "-o", exported, "--db", db)
    lines = exported.read_text().splitlines()
    line = json.loads(lines[9])
    line["source"] = "/sources/someone%20else" if format_ == "cloudevents" else "someone else"
    lines[9] = json.dumps(line)
    exported.write_text("\n".join(lines) + "\n")
    result = run("verify", exported, "--trust", public)
    assert result.exit_code == 1 and "seq 10" in result.stderr and "content does not match" in result.stderr


def _rewrite_from_seq_20(lines: list[dict]) -> None:
    """Edit seq 20 of an export and recompute every hash after it: a perfect forgery of the chain."""
    lines[19]["source"] = "someone else"
    prev = lines[18]["hash"]
    for line in lines[19:]:
        record = {
            name: value for name, value in line.items() if name not in ("seq", "recorded_at", "prev_hash", "hash")
        }
        line["prev_hash"] = prev
        line["hash"] = prev = record_to_row(record, line["seq"], line["recorded_at"], prev)["hash"]


def test_a_rewritten_export_is_found_by_the_head_signed_in_it(signed, tmp_path):
    db, public = signed
    exported = tmp_path / "published.jsonl"
    ok("export", "-o", exported, "--db", db)
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    events, signatures = lines[:-1], lines[-1]
    _rewrite_from_seq_20(events)
    exported.write_text("\n".join(json.dumps(line) for line in [*events, signatures]) + "\n")
    for trust in ([], ["--trust", public]):
        result = run("verify", exported, *trust)
        assert result.exit_code == 1 and "rewritten" in result.stderr and "seq 47" in result.stderr


def test_a_rewritten_export_without_its_signatures_fails_trusted_verify_only(signed, tmp_path):
    db, public = signed
    exported = tmp_path / "published.jsonl"
    ok("export", "-o", exported, "--db", db)
    events = [json.loads(line) for line in exported.read_text().splitlines()][:-1]
    _rewrite_from_seq_20(events)
    exported.write_text("\n".join(json.dumps(line) for line in events) + "\n")
    assert run("verify", exported).exit_code == 0  # the chain alone is intact
    result = run("verify", exported, "--trust", public)
    assert result.exit_code == 1 and "nothing to trust" in result.stderr


def test_a_published_copy_imported_into_an_empty_log_is_a_replica(signed, tmp_path):
    db, public = signed
    exported = tmp_path / "published.jsonl"
    ok("export", "-o", exported, "--db", db)
    replica = tmp_path / "replica.db"
    ok("init", "--db", replica)
    ok("import", exported, "--db", replica)
    assert ok("verify", "--db", replica) == ok("verify", "--db", db)
    assert json.loads(ok("verify", "--trust", public, "--json", "--db", replica))["signed_seq"] == 47
    # Into a log that has events of its own, only the events are imported.
    other = tmp_path / "other.db"
    ok("init", "--db", other)
    ok(
        "append", "statement.made", "--on", "2024-08-25", "--source", "TASS",
        "--data", '{"speaker": "Dmitry Peskov", "summary": "No comment."}', "--db", other,
    )  # fmt: skip
    assert "appended 47 events" in ok("import", exported, "--db", other)
    assert json.loads(ok("verify", "--json", "--db", other))["ok"]


def test_a_signed_cloudevents_export_imports_as_its_events(signed, tmp_path):
    db, _ = signed
    exported = tmp_path / "published.cloudevents"
    ok("export", "--format", "cloudevents", "-o", exported, "--db", db)
    fresh = tmp_path / "fresh.db"
    ok("init", "--db", fresh)
    assert "appended 47 events" in ok("import", exported, "--format", "cloudevents", "--db", fresh)


def test_the_export_of_an_unsigned_log_is_the_plain_event_format(tmp_path):
    db = tmp_path / "plain.db"
    ok("init", "--db", db)
    ok("import", DATASET, "--db", db)
    exported = tmp_path / "plain.jsonl"
    ok("export", "-o", exported, "--db", db)
    assert exported.read_bytes() == ok("export").encode() or "seq" not in exported.read_text().splitlines()[0]
    result = run("verify", exported)
    assert result.exit_code == 2 and "no hash chain" in result.stderr
