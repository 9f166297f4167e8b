"""Support for the web-interface tests: pages are rendered with plain static storage, so
they need no collectstatic run (production serves hashed files through whitenoise)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.test import override_settings

from itsm.core.testing import BaseTestCase

PLAIN_STATIC_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=PLAIN_STATIC_STORAGES)
class UITestCase(BaseTestCase):
    """A BaseTestCase whose client renders full pages."""

    def htmx(self, method: str, url: str, data: dict[str, Any] | None = None) -> HttpResponse:
        """A request as htmx sends it (it wants the partial, not the page)."""
        call = getattr(self.client, method)
        response: HttpResponse = call(url, data or {}, HTTP_HX_REQUEST="true")
        return response
