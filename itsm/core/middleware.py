import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

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
        from django.contrib.auth.middleware import get_user

        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            language = getattr(get_user(request), "language", "")
            if language and translation.check_for_language(language):
                request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)


# What a form around the largest file may add to the body (its other fields, the multipart
# boundaries).
FORM_ALLOWANCE = 1024 * 1024


class BodySizeMiddleware:
    """Refuses a request whose declared body is larger than the largest file allowed
    (ITSM_UPLOAD_MAX_MB) plus a form around it, with 413 and before anything reads it: the
    body is never parsed nor written to a temporary file (the web server discards what the
    client still sends). Place it before the first middleware that reads the body (CSRF)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.ITSM_UPLOAD_MAX_BYTES + FORM_ALLOWANCE
        if length <= limit:
            return self.get_response(request)
        message = gettext("The request is larger than %(size)d MB: send a smaller file.") % {
            "size": limit // (1024 * 1024)
        }
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return render(request, "413.html", {"message": message}, status=413)
