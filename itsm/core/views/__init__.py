"""Generic UI views (list, detail, edit, transition) configured by attributes, the helpers
every app's views use, readable audit entries, and the pages every user has."""

from itsm.core.views.audit import AuditLine, audit_headline, describe_audit_entries
from itsm.core.views.generic import (
    CappedPaginator,
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    ObjectTransitionView,
    add_service_errors,
    error_response,
    get_object_for_user,
    is_htmx,
    parse_version,
    prepare_filter_form,
    redirect_after_post,
    safe_next_url,
)
from itsm.core.views.pages import (
    LanguageView,
    LoginView,
    LogoutView,
    NotificationListView,
    NotificationOpenView,
    NotificationReadView,
    home,
)

__all__ = [
    "AuditLine",
    "CappedPaginator",
    "ItsmView",
    "LanguageView",
    "LoginView",
    "LogoutView",
    "NotificationListView",
    "NotificationOpenView",
    "NotificationReadView",
    "ObjectDetailView",
    "ObjectEditView",
    "ObjectListView",
    "ObjectMixin",
    "ObjectTransitionView",
    "add_service_errors",
    "audit_headline",
    "describe_audit_entries",
    "error_response",
    "get_object_for_user",
    "home",
    "is_htmx",
    "parse_version",
    "prepare_filter_form",
    "redirect_after_post",
    "safe_next_url",
]
