from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("itsm.core.urls")),
    path("account/", include("itsm.accounts.urls")),
    path("incidents/", include("itsm.incidents.urls")),
    path("portal/", include("itsm.portal.urls")),
    path("r/", include("itsm.portal.scan_urls")),
    path("cmdb/", include("itsm.cmdb.urls")),
    path("kb/", include("itsm.knowledge.urls")),
    path("problems/", include("itsm.problems.urls")),
    path("changes/", include("itsm.changes.urls")),
    path("releases/", include("itsm.releases.urls")),
    path("search/", include("itsm.core.search_urls")),
    path("sla/", include("itsm.sla.urls")),
    path("reports/", include("itsm.reports.urls")),
    path("api/", include("itsm.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
