"""The commands of the log's proofs: `verify`, `keygen`, `sign`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from timeline.cli.shell import (
    cli,
    db_option,
    json_option,
    open_for_reading,
    open_for_writing,
)

if TYPE_CHECKING:
    pass


@cli.command()
@click.argument("export", required=False, type=click.Path(dir_okay=False))
@db_option
@click.option(
    "--trust",
    type=click.Path(dir_okay=False),
    help="A public key (PEM): also check every head it signed, and report the last signed position.",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Re-hash only the events after the last intact check (the rest are read for their links only).",
)
@click.option("--full", is_flag=True, help="Also decode every event with this version (slower).")
@json_option
def verify(export: str | None, db: str | None, trust: str | None, quick: bool, full: bool, as_json: bool) -> None:
    """Read every event: its content against its hash, its link to the one before, the recorded
    head, the append-only triggers and the signed heads; exit 1 listing every finding.

    With EXPORT, check that exported file (a published copy) instead of a log."""
    from timeline.api import Timeline
    from timeline.cli import render
    from timeline.integrity import signing

    public_key = signing.load_public_key(Path(trust)) if trust else None
    if export is not None:
        report = Timeline.verify_export(export, public_key)
    else:
        with open_for_reading(db) as timeline:
            report = timeline.verify(public_key, quick=quick, decode=full)
    click.echo(render.verify_report(report, as_json), err=not report.ok and not as_json)
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Where to write the private key.")
def keygen(out: str) -> None:
    """Make an Ed25519 key pair: the private key at --out (readable by you only), the public key beside it (.pub)."""
    from timeline.integrity import signing

    public = signing.generate_key_pair(Path(out))
    click.echo(f"private key: {out} (keep it secret)\npublic key:  {public} (give it to your readers)")


@cli.command()
@db_option
@click.option("--key", required=True, type=click.Path(dir_okay=False), help="The private key (PEM) to sign with.")
@json_option
def sign(db: str | None, key: str, as_json: bool) -> None:
    """Sign the log's current head (seq, hash, time) and record the signature in the log."""
    from timeline.cli import render
    from timeline.integrity import signing

    private_key = signing.load_private_key(Path(key))
    with open_for_writing(db) as timeline:
        signed = timeline.sign(private_key)
    click.echo(render.signed_head(signed, as_json))
