"""Small-count suppression for the supervisor report (services layer), pure functions on counts.

A count from 1 to 4 is never shown ("<5"). Because each breakdown also shows its total, hiding the small groups is not
enough: the total minus the shown groups must not pin any hidden group to one value (one hidden group, or several
that can only all be 1 or all be 4). Then the smallest shown group is withheld too ("≥5"), and so on; when even that
cannot help, the breakdown is withheld as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.reporting.types import THRESHOLD, Breakdown, Cell, Suppression


@dataclass(frozen=True)
class _Hidden:
    label: str
    count: int
    low: int  # what a reader knows: the count lies between low and high
    high: int
    suppression: Suppression


def suppress_count(count: int) -> int | None:
    """The count, or None when it is from 1 to THRESHOLD - 1."""
    return None if 0 < count < THRESHOLD else count


def _pinned(hidden: Sequence[_Hidden]) -> bool:
    """Whether a reader who knows the sum of the hidden groups and their bounds can tell one group's exact count."""
    total = sum(group.count for group in hidden)
    lows, highs = sum(group.low for group in hidden), sum(group.high for group in hidden)
    for group in hidden:
        lowest = max(group.low, total - (highs - group.high))
        highest = min(group.high, total - (lows - group.low))
        if lowest == highest:
            return True
    return False


def _ordered(cells: list[Cell], counts: Mapping[str, int], order: Sequence[str] | None) -> tuple[Cell, ...]:
    if order is not None:
        rank = {label: index for index, label in enumerate(order)}
        return tuple(sorted(cells, key=lambda cell: (rank.get(cell.label, len(rank)), cell.label)))
    # Shown groups by size; hidden ones by label only, so that their order says nothing about their size.
    shown = sorted(
        (cell for cell in cells if cell.suppression is None), key=lambda cell: (-counts[cell.label], cell.label)
    )
    hidden = sorted((cell for cell in cells if cell.suppression is not None), key=lambda cell: cell.label)
    return (*shown, *hidden)


def suppress_breakdown(counts: Mapping[str, int], *, order: Sequence[str] | None = None) -> Breakdown:
    """A breakdown of `counts` that gives no group of 1 to 4 away; with `order`, every listed group appears (zeros too)
    in that order, else only groups with a count, largest first."""
    counts = {**dict.fromkeys(order or (), 0), **counts}
    total = sum(counts.values())
    if total < THRESHOLD:
        cells = [Cell(label, suppress_count(n), Suppression.SMALL if n > 0 else None) for label, n in counts.items()]
        nonzero = [cell for cell in cells if order is not None or counts[cell.label]]
        return Breakdown(total=suppress_count(total), cells=_ordered(nonzero, counts, order))
    hidden = [
        _Hidden(label, n, 1, THRESHOLD - 1, Suppression.SMALL) for label, n in counts.items() if 0 < n < THRESHOLD
    ]
    shown = {label: n for label, n in counts.items() if n == 0 or n >= THRESHOLD}
    while hidden and _pinned(hidden):
        candidates = [label for label, n in shown.items() if n >= THRESHOLD]
        if not candidates:
            return Breakdown(total=total, cells=(), withheld=True)
        smallest = min(candidates, key=lambda label: (shown[label], label))
        hidden.append(_Hidden(smallest, shown.pop(smallest), THRESHOLD, total, Suppression.COMPLEMENTARY))
    cells = [Cell(label, n) for label, n in shown.items() if n or order is not None]
    cells += [Cell(group.label, None, group.suppression) for group in hidden]
    hidden_sum = sum(group.count for group in hidden)
    return Breakdown(
        total=total,
        cells=_ordered(cells, counts, order),
        hidden=hidden_sum if hidden_sum >= THRESHOLD else None,
    )
