"""Rows a `Paginator` pages without a queryset: its length (the count) and one plain slice a page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class PagedRows(Sequence[T]):
    """A sequence for Django's or DRF's `Paginator`: a subclass gives `__len__` (one COUNT, kept by
    the paginator) and `_rows(start, stop)` (one page's read); an int index is a one-row slice.
    Examples: `catalog.selectors.ListingRows`, `orders.selectors.HistoryOrders`."""

    def _rows(self, start: int, stop: int) -> list[T]:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError("no such row")
            return found[0]
        if index.step not in (None, 1):
            raise TypeError("a page is a plain slice")
        start, stop = index.start, index.stop
        if start is None or stop is None or start < 0 or stop < 0:
            start, stop, _step = index.indices(len(self))  # bounds a paginator never passes: counted first
        return self._rows(start, stop) if stop > start else []
