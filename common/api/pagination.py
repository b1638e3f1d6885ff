"""Page-number pagination for every list of the API, strict about its two query parameters.

`page` and `page_size` are whole numbers from 1 (`page_size` at most 100), each given at most
once; anything else is a 400 naming the parameter, never silently the first page. A page past
the last one is a 404. The schema says the same (minimum and maximum), so clients can know.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import pagination, serializers
from rest_framework.request import Request

from .query import WHOLE_NUMBER

MAX_PAGE = 999_999_999


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def _whole_number(self, request: Request, name: str, maximum: int) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        value = values[0]  # as sent: " 2" or "2\n" is not a whole number, nor "" the first page
        if len(values) > 1 or not WHOLE_NUMBER.fullmatch(value) or not 1 <= int(value) <= maximum:
            raise serializers.ValidationError(
                {name: [_("Give it once, as a whole number from 1 to %(maximum)d.") % {"maximum": maximum}]}
            )
        return int(value)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return self._whole_number(request, self.page_query_param, MAX_PAGE) or 1

    def get_page_size(self, request: Request) -> int | None:
        return self._whole_number(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            maximum = self.max_page_size if parameter["name"] == self.page_size_query_param else MAX_PAGE
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": maximum}
        return parameters
