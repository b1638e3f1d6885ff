"""The carts API (issue 15)."""
