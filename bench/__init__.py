"""`make bench`: the benchmark harness (run.py, locustfiles, wrk scripts, invariants) and the small
Django app it needs in the shop under test: the floors' views, the query counter and `bench_data`.

The app is installed by `bench.settings` only; the shop's own settings never load it.
"""
