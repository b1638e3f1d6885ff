"""What the payments app tells the apps above it (orders, wallet top-ups) about a payment.

payments cannot import orders (see DESIGN.md's import order), so a captured order payment is
announced here and `orders` turns it into a paid order. Every signal is sent inside the
transaction that changed the payment, while the payment row (and its order's row, taken first:
the shop's lock order) is locked, so a receiver's writes commit or roll back with the change.
Receivers must not call a gateway (no network while rows are locked).

Each is sent with `payment=<Payment>` (already saved in its new state).
"""

from django.dispatch import Signal

# The money is taken: an order payment pays its order, a top-up credits the wallet.
payment_captured = Signal()
# The payment will not take money (declined, refused by the customer's bank, blocked as fraud).
payment_failed = Signal()
# An authorization was cancelled before capture (the order expired or was cancelled).
payment_voided = Signal()
