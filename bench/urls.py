"""The shop's URLs plus the floors `make bench` measures every scenario against (`bench.settings`)."""

from django.urls import path

from bench.views import BenchPkReadApi, bench_floor
from config.urls import handler404, handler500
from config.urls import urlpatterns as shop_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("_bench/floor", bench_floor, name="bench-floor"),
    path("_bench/pk/<int:pk>", BenchPkReadApi.as_view(), name="bench-pk"),
    *shop_urlpatterns,
]
