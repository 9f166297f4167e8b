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
    """A signed-in user's chosen language wins over Accept-Language: it is put where
    LocaleMiddleware looks first, the language cookie. The user is loaded through the
    auth middleware's per-request cache, so this costs no extra query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.contrib.auth.middleware import get_user

        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            language = getattr(get_user(request), "language", "")
            if language and translation.check_for_language(language):
                request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)
