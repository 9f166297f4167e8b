"""Pages every signed-in user has. Names are global ("home", "login", …) because the
settings name them (LOGIN_URL, LOGIN_REDIRECT_URL, LOGOUT_REDIRECT_URL)."""

from django.templatetags.static import static
from django.urls import URLPattern, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from itsm.core import views
from itsm.core.views.attachments import AttachmentUploadView, AttachmentView
from itsm.core.views.audit_log import AuditLogView

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notification_read"),
    path("notifications/<int:pk>/", views.NotificationOpenView.as_view(), name="notification_open"),
    path("language/", views.LanguageView.as_view(), name="user_language"),
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("attachments/<int:pk>/", AttachmentView.as_view(), name="attachment"),
    path(
        "attachments/upload/<int:content_type>/<int:object_id>/",
        AttachmentUploadView.as_view(),
        name="attachment_upload",
    ),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (PDFs, errors).
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("itsm/favicon.svg"))),
]
