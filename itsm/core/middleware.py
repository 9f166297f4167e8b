import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from itsm.core.context import RequestContext, current_request


class RequestContextMiddleware:
    """Records the request id and source address for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:36] or uuid.uuid4().hex
        token = current_request.set(
            RequestContext(request_id=request_id, ip_address=request.META.get("REMOTE_ADDR"))
        )
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request_id
        return response


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over Accept-Language: it is put into the
    language cookie that LocaleMiddleware reads next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.contrib.auth import get_user
        from django.utils.functional import SimpleLazyObject

        user = SimpleLazyObject(lambda: get_user(request))  # type: ignore[arg-type]
        language = ""
        if request.session.session_key or settings.SESSION_COOKIE_NAME in request.COOKIES:
            language = getattr(user, "language", "") or ""
        if language and translation.check_for_language(language):
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)
