"""The security officers' pages: people and their roles (the security administrator assigns
them), and the 等保 self-check with its PDF (security administrator and auditor)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.accounts.choices import SEPARATED_ROLES, CheckVerdict, Role
from itsm.accounts.models import User
from itsm.accounts.roles import can_assign_roles, can_read_self_check
from itsm.accounts.selfcheck import Check, run_checks
from itsm.accounts.services import set_user_roles
from itsm.core.views import ItsmView, add_service_errors


class OfficerView(ItsmView):
    """A page for the holders of some roles (by role, not by Django permission: a
    superuser flag does not open it)."""

    allowed: ClassVar[Any] = staticmethod(can_assign_roles)

    def check_permission(self) -> None:
        if not type(self).allowed(self.request.user):
            raise PermissionDenied(str(self.permission_message))


class UserRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "System administrator, security administrator and auditor (三员) are held by "
            "three different people."
        ),
    )


class UserRoleListView(OfficerView):
    """Everybody with his roles, for the security administrator: active accounts first,
    by user name; searchable by name and department, filtered by role."""

    template_name = "accounts/roles_list.html"
    page_size: ClassVar[int] = 50

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        role = request.GET.get("role", "")
        people = User.objects.select_related("department").prefetch_related("groups")
        if query:
            people = people.filter(
                Q(username__icontains=query)
                | Q(last_name__icontains=query)
                | Q(first_name__icontains=query)
                | Q(department__name__icontains=query)
            )
        if role in Role.values:
            people = people.filter(groups__name=role)
        page = Paginator(people.order_by("-is_active", "username"), self.page_size).get_page(
            request.GET.get("page")
        )
        return self.render(
            {
                "page_obj": page,
                "query": query,
                "role": role,
                "roles": Role.choices,
                "separated": SEPARATED_ROLES,
            }
        )


class UserRolesView(OfficerView):
    """Change one person's roles through services.set_user_roles (its refusals are shown
    on the form)."""

    template_name = "accounts/roles_form.html"

    def page(self, person: User, form: UserRolesForm, status: int = 200) -> HttpResponse:
        return self.render(
            {"person": person, "form": form, "separated": SEPARATED_ROLES}, status=status
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = get_object_or_404(User, pk=pk)
        form = UserRolesForm(initial={"roles": sorted(person.role_names())})
        return self.page(person, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = get_object_or_404(User, pk=pk)
        form = UserRolesForm(request.POST)
        if form.is_valid():
            try:
                set_user_roles(person, form.cleaned_data["roles"], actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, gettext("The roles of %(person)s are saved.") % {"person": person}
                )
                return redirect("accounts:role_list")
        return self.page(person, form, status=400)


def verdict_counts(checks: list[Check]) -> dict[str, int]:
    return {verdict: sum(1 for c in checks if c.verdict == verdict) for verdict in CheckVerdict}


class SelfCheckView(OfficerView):
    """The 等保 self-check: live values and a verdict per line (read-only)."""

    allowed = staticmethod(can_read_self_check)
    template_name = "accounts/selfcheck.html"

    def context(self) -> dict[str, Any]:
        checks = run_checks()
        return {
            "checks": checks,
            "counts": verdict_counts(checks),
            "verdicts": CheckVerdict,
            "generated_at": timezone.now(),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.context())


class SelfCheckPdfView(SelfCheckView):
    """The same lines as a PDF, to file with the assessment (WeasyPrint; Noto CJK fonts)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from weasyprint import HTML  # slow to import: only when a PDF is asked for

        html = render_to_string("accounts/selfcheck_pdf.html", self.context(), request=request)
        pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        name = "selfcheck-%s.pdf" % timezone.localdate().isoformat()
        response["Content-Disposition"] = 'attachment; filename="%s"' % name
        return response
