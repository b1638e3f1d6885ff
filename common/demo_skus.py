"""The demo SKU spelling the apps' demo modules (`manage.py seed_demo`) agree on, so none imports another's."""

# A demo variant's SKU is DEMO-NNN-K (product number, option number): catalog/demo.py makes them,
# inventory/demo.py stocks the variants it finds by it.
DEMO_SKU_PREFIX = "DEMO-"
