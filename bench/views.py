"""The floors of `make bench`: what this machine can serve at all, measured in every run.

Mounted only by `bench.urls`, the URL conf of `bench.settings`. A scenario's requests per second
are reported as a share of these, so results hold from machine to machine.
"""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product


def bench_floor(request: HttpRequest) -> HttpResponse:
    """The framework floor: the whole middleware stack and a short response, no database."""
    return HttpResponse(b"ok", content_type="text/plain")


class _ProductPkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "title", "base_price", "currency"]


class BenchPkReadApi(APIView):
    """The DRF floor: one primary-key read rendered as JSON (no authentication)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    schema = None  # not part of the API

    def get(self, request: Request, pk: int) -> Response:
        product = get_object_or_404(Product.objects.only("id", "title", "base_price", "currency"), pk=pk)
        return Response(_ProductPkSerializer(product).data)


class QueryCountMiddleware:
    """Answer `X-Bench-Queries: <n>` to a request that sends `X-Bench-Queries`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_BENCH_QUERIES" not in request.META:
            return self.get_response(request)
        count = 0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        return response
