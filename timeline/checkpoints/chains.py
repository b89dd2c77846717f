"""The chain of targets a retraction reaches: its target, that one's target, and so on."""

from __future__ import annotations


def chain_of(event_id: str, targets: dict[str, tuple[str, str]]) -> list[str]:
    """The events a retraction's chain of targets reaches (its target, that one's target, ...),
    given `targets`: retraction id -> (target, reported_on)."""
    chain, current = [], targets[event_id][0]
    while current not in chain:
        chain.append(current)
        if current not in targets:
            break
        current = targets[current][0]
    return chain
