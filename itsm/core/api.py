"""Placeholder replaced by the shared API base."""
from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    return drf_exception_handler(exc, context)
