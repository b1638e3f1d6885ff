"""What inventory tells the rest of the shop. Inventory imports no listener: whoever shows stock
(the catalogue's cached pages) connects a receiver in its own `AppConfig.ready()`."""

from collections.abc import Iterable

from django.dispatch import Signal

# Stock of some variants moved (a sale, a cancellation, a restock, a count, a row saved by hand).
# Sent inside the movement's transaction with `variant_ids` and `product_ids` (lists of ints,
# either may be empty: a sale knows its products, other movements only their variants). A
# receiver that acts on it defers its work to `transaction.on_commit`.
stock_moved = Signal()


def stock_changed(*, variant_ids: Iterable[int] = (), product_ids: Iterable[int] = ()) -> None:
    """Tell the receivers of `stock_moved` that these variants' (or these products') stock moved."""
    variant_ids, product_ids = sorted(set(variant_ids)), sorted(set(product_ids))
    if variant_ids or product_ids:
        stock_moved.send(sender=stock_changed, variant_ids=variant_ids, product_ids=product_ids)
