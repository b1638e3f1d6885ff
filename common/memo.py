"""Per-worker memos: values a worker keeps in its own memory between requests."""

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(dict[K, V]):
    """A dict that holds at most `limit` entries: `keep()` empties it when it is full.

    For hints and results a worker may forget at any time (a forgotten one costs a recomputation,
    never a wrong answer). Emptying rather than evicting one by one keeps `get` a plain dict read,
    and a memo that fills up is being fed keys that do not repeat anyway.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: K, value: V) -> V:
        if len(self) >= self.limit and key not in self:
            self.clear()
        self[key] = value
        return value
