"""The pages every signed-in user has: home, sign-in and out, notifications, language."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from itsm.accounts.choices import Role
from itsm.accounts.lockout import lockout_message
from itsm.accounts.services import set_language
from itsm.core.models import Notification
from itsm.core.services import mark_notifications_read
from itsm.core.views.generic import ItsmView, error_response, redirect_after_post, safe_next_url

# --------------------------------------------------------------------------------------
# Pages every user has


class LoginView(auth_views.LoginView):
    """Sign in. A wrong password and an unknown name get the same answer (Django's form;
    its backend hashes the password for an unknown name too, so the time taken does not
    tell either). A locked name or address (accounts/lockout.py) gets one message, 429."""

    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if getattr(self.request, "axes_locked_out", False):
            form.errors[NON_FIELD_ERRORS] = form.error_class([lockout_message()])
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires)."""


def home(request: HttpRequest) -> HttpResponse:
    """IT staff land on their queue, auditors on the audit log, security administrators on
    the security self-check; everyone else on the self-service portal."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if request.user.has_perm("incidents.work_incident"):
        return redirect("incidents:incident_list")
    if request.user.has_perm("core.view_auditentry"):
        return redirect("audit_log")
    if request.user.has_role(Role.SECURITY_ADMIN):
        return redirect("accounts:self_check")
    return redirect("portal:home")


class NotificationListView(ItsmView):
    """The user's in-app notifications, newest first; unread ones stand out."""

    template_name = "core/notification_list.html"
    page_size: ClassVar[int] = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        notifications = Notification.objects.filter(recipient=user)
        if request.GET.get("unread"):
            notifications = notifications.filter(read_at__isnull=True)
        page = Paginator(notifications.order_by("-created_at", "-id"), self.page_size).get_page(
            request.GET.get("page")
        )
        return self.render({"page_obj": page, "only_unread": bool(request.GET.get("unread"))})


class NotificationOpenView(ItsmView):
    """Open what a notification is about, marking it read on the way."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user: Any = request.user
        notification = get_object_or_404(Notification.objects.filter(recipient=user), pk=pk)
        mark_notifications_read(request.user, pks=[notification.pk])
        target = notification.target
        if target is None or not hasattr(target, "get_absolute_url"):
            return redirect("notification_list")
        return redirect(target.get_absolute_url())


class NotificationReadView(ItsmView):
    """Mark one notification (`pk` in the form) or all of them read."""

    def post(self, request: HttpRequest) -> HttpResponse:
        raw = request.POST.get("pk", "")
        pks = [int(raw)] if raw.isdigit() else None
        count = mark_notifications_read(request.user, pks=pks)
        if pks is None and count:
            messages.success(request, gettext("All notifications marked as read."))
        return redirect_after_post(request, safe_next_url(request, reverse("notification_list")))


class LanguageView(ItsmView):
    """Save the user's language on his account (it then wins over the browser's) and in
    the language cookie, as django's set_language does."""

    def post(self, request: HttpRequest) -> HttpResponse:
        language = request.POST.get("language", "")
        known = {code for code, _name in settings.LANGUAGES}
        if language not in known and language != "":
            return error_response(request, 400, gettext("Unknown language."))
        set_language(request.user, language, actor=request.user)  # type: ignore[arg-type]
        response = redirect(safe_next_url(request, reverse("home")))
        if language:
            translation.activate(language)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
