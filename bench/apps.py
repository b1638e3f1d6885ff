from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark's views and `manage.py bench_data`; installed by `bench.settings` only."""

    name = "bench"
    verbose_name = "Benchmark"
