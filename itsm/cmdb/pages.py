"""The configuration item pages for IT staff: the list with its filters, the item's page
(fields, attributes, relationships, incidents, services, impact, history), the edit page
with the attributes of the chosen class, and the relationship forms. Each view fetches
through `visible_to` (404) and writes through a verb of `services.py`."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.attributes import ClassTree, schema
from itsm.cmdb.choices import AttributeType, ConfigurationItemStatus, Criticality
from itsm.cmdb.filters import ConfigurationItemFilterSet
from itsm.cmdb.forms import (
    DATE_INPUT,
    AttributeFieldsForm,
    ConfigurationItemForm,
    RelateForm,
    RelationshipDirection,
    UnrelateForm,
)
from itsm.cmdb.history import as_of, history_of
from itsm.cmdb.models import ConfigurationItem, Relationship
from itsm.cmdb.services import create_ci, relate_cis, unrelate_cis, update_ci
from itsm.core.exports import Column
from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    add_service_errors,
    parse_version,
    redirect_after_post,
)

VIEW = "cmdb.view_configurationitem"
ADD = "cmdb.add_configurationitem"
CHANGE = "cmdb.change_configurationitem"

# A warranty that ends within this many days is flagged on the item's page.
WARRANTY_WARNING_DAYS = 90
# Incidents listed on an item's page; the queue, filtered by the item, has them all.
INCIDENTS_SHOWN = 20

STATUS_STYLES: dict[str, str] = {
    ConfigurationItemStatus.PLANNED: "info",
    ConfigurationItemStatus.IN_USE: "success",
    ConfigurationItemStatus.MAINTENANCE: "warning",
    ConfigurationItemStatus.RETIRED: "muted",
}
CRITICALITY_STYLES: dict[int, str] = {
    Criticality.CRITICAL: "text-bg-danger",
    Criticality.HIGH: "text-bg-warning",
    Criticality.MEDIUM: "text-bg-light border",
    Criticality.LOW: "text-bg-light border text-body-secondary",
}
PLACE = "location__location__location__location"


def status_badge(status: str) -> SafeString:
    label = ConfigurationItemStatus(status).label if status in ConfigurationItemStatus else status
    return format_html(
        '<span class="badge rounded-pill status-badge status-{}">{}</span>',
        STATUS_STYLES.get(status, "secondary"),
        label,
    )


def criticality_badge(value: int) -> SafeString:
    label = Criticality(value).label if value in Criticality.values else value
    return format_html(
        '<span class="badge {}">{}</span>', CRITICALITY_STYLES.get(value, "text-bg-light"), label
    )


# --------------------------------------------------------------------------------------
# The list


@dataclass(frozen=True, slots=True)
class ListRow:
    """What the list shows of one item, computed once per page."""

    ci: ConfigurationItem
    url: str
    class_label: str
    status_badge: SafeString
    criticality_badge: SafeString
    place: str


def list_rows(items: list[ConfigurationItem]) -> list[ListRow]:
    marker = 987654321
    url_pattern = reverse("cmdb:ci_detail", args=[marker]).replace(str(marker), "%d")
    statuses = {value: status_badge(value) for value in ConfigurationItemStatus.values}
    levels = {value: criticality_badge(value) for value in Criticality.values}
    return [
        ListRow(
            ci=ci,
            url=url_pattern % ci.pk,
            class_label=ci.ci_class.label,
            status_badge=statuses.get(ci.status) or status_badge(ci.status),
            criticality_badge=levels.get(ci.criticality) or criticality_badge(ci.criticality),
            place=ci.place,
        )
        for ci in items
    ]


def _label(name: str) -> Any:
    field: Any = ConfigurationItem._meta.get_field(name)
    return capfirst(field.verbose_name)


def _name(obj: Any) -> str | None:
    return None if obj is None else str(obj)


EXPORT_COLUMNS = (
    Column(_label("code"), lambda ci: ci.code),
    Column(_label("name"), lambda ci: ci.name),
    Column(_label("ci_class"), lambda ci: ci.ci_class.label),
    Column(_label("status"), lambda ci: ci.get_status_display()),
    Column(_label("criticality"), lambda ci: ci.get_criticality_display()),
    Column(_("Place"), lambda ci: ci.place),
    Column(_label("department"), lambda ci: _name(ci.department)),
    Column(_label("owner_group"), lambda ci: _name(ci.owner_group)),
    Column(_label("vendor"), lambda ci: _name(ci.vendor)),
    Column(_label("serial_number"), lambda ci: ci.serial_number),
    Column(_label("asset_tag"), lambda ci: ci.asset_tag),
    Column(_label("ip_address"), lambda ci: ci.ip_address),
    Column(_label("purchased_on"), lambda ci: ci.purchased_on),
    Column(_label("warranty_ends_on"), lambda ci: ci.warranty_ends_on),
)


class ConfigurationItemListView(ObjectListView):
    """The CMDB: every item, searched by code, name, serial number, asset tag or IP and
    filtered by class (with subclasses), status, criticality, location (with what is
    inside it), department, owner group, vendor and the chosen class's attributes."""

    model = ConfigurationItem
    permission = VIEW
    filterset_class = ConfigurationItemFilterSet
    template_name = "cmdb/ci_list.html"
    partial_template_name = "cmdb/_ci_table.html"
    select_related = ("ci_class", "department", "owner_group", "vendor", PLACE)
    sort_fields = {
        "code": ("code",),
        "name": ("name",),
        "class": ("ci_class", "code"),
        "status": ("status", "code"),
    }
    default_sort = "code"
    export_columns = EXPORT_COLUMNS
    export_name = "configuration-items"

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        context.update(nav="cmdb", rows=list_rows(list(context["object_list"])))
        return context


# --------------------------------------------------------------------------------------
# The item's page


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One attribute as the page shows it: its label, the value as read, and for a
    reference the referenced item's page."""

    code: str
    label: str
    display: str
    url: str = ""


def attribute_values(ci: ConfigurationItem, tree: ClassTree) -> list[AttributeValue]:
    """The item's attributes in the order of its class's schema (ancestors' first), each
    labelled in the user's language; referenced items read in one query."""
    values = ci.attributes or {}
    definitions = schema(ci.ci_class_id, tree) if ci.ci_class_id in tree.classes else []
    ids = [
        values[d.code]
        for d in definitions
        if d.type == AttributeType.REFERENCE and isinstance(values.get(d.code), int)
    ]
    referenced = {item.pk: item for item in ConfigurationItem.objects.filter(pk__in=ids)}
    shown: list[AttributeValue] = []
    for definition in definitions:
        value = values.get(definition.code)
        if value in (None, ""):
            continue
        if definition.type == AttributeType.REFERENCE:
            item = referenced.get(value)
            if item is not None:
                shown.append(
                    AttributeValue(
                        definition.code, definition.label, str(item), item.get_absolute_url()
                    )
                )
                continue
        shown.append(AttributeValue(definition.code, definition.label, str(value)))
    known = {d.code for d in definitions}
    # Values of attributes no longer in the schema (an administrator removed one).
    shown += [
        AttributeValue(code, code, str(value))
        for code, value in values.items()
        if code not in known and value not in (None, "")
    ]
    return shown


@dataclass(frozen=True, slots=True)
class DateWarning:
    """A warranty or contract that has ended (`ended`) or ends soon: in how many days."""

    ended: bool
    days: int


def date_warning(ends_on: dt.date | None, today: dt.date) -> DateWarning | None:
    if ends_on is None:
        return None
    days = (ends_on - today).days
    if days < 0:
        return DateWarning(ended=True, days=-days)
    if days <= WARRANTY_WARNING_DAYS:
        return DateWarning(ended=False, days=days)
    return None


def tickets_on(
    ci: ConfigurationItem, user: Any, related_name: str, permission: str, newest: str
) -> tuple[list[Any], bool]:
    """The tickets (incidents, problems) naming the item that this user may see: open ones
    first (most urgent first), then the most recent others; at most INCIDENTS_SHOWN, and
    whether there are more. Read through the tickets' reverse relation: the CMDB imports
    nothing from the process apps, which build on it."""
    related: Any = getattr(ci, related_name, None)
    if related is None or not user.has_perm(permission):
        return [], False
    visible = related.visible_to(user)
    shown = list(visible.open().order_by("priority", "-" + newest, "-pk")[: INCIDENTS_SHOWN + 1])
    if len(shown) <= INCIDENTS_SHOWN:
        shown += list(
            visible.exclude(pk__in=[ticket.pk for ticket in shown]).order_by("-" + newest, "-pk")[
                : INCIDENTS_SHOWN + 1 - len(shown)
            ]
        )
    return shown[:INCIDENTS_SHOWN], len(shown) > INCIDENTS_SHOWN


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=DATE_INPUT)

    def clean_as_of(self) -> dt.date:
        day: dt.date = self.cleaned_data["as_of"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext("Choose a date up to today."))
        return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of a day in the hospital's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def history_context(ci: ConfigurationItem, as_of_form: AsOfForm) -> dict[str, Any]:
    """The item's audited changes and, for a valid `?as_of=`, the item as it was at the end
    of that day."""
    context: dict[str, Any] = {"history": history_of(ci)}
    if as_of_form.is_bound and as_of_form.is_valid():
        context["snapshot"] = as_of(ci, end_of_day(as_of_form.cleaned_data["as_of"]))
    return context


DETAIL_RELATIONS = (
    "ci_class",
    "department",
    "owner_group",
    "vendor",
    "contract__vendor",
    PLACE,
)


def ci_page_context(request: HttpRequest, ci: ConfigurationItem, **context: Any) -> dict[str, Any]:
    """Everything the item's page shows. The relationship form re-renders the page with
    its errors."""
    user: Any = request.user
    tree = ClassTree.load()
    today = timezone.localdate()
    as_of_form = context.pop("as_of_form", None) or AsOfForm()
    incidents, more_incidents = tickets_on(
        ci, user, "incidents", "incidents.view_incident", "reported_at"
    )
    problems, more_problems = tickets_on(
        ci, user, "problems", "problems.view_problem", "created_at"
    )
    lineage = [tree.classes[code] for code in reversed(tree.lineage(ci.ci_class_id))]
    base: dict[str, Any] = {
        "object": ci,
        "ci": ci,
        "nav": "cmdb",
        "class_lineage": lineage,
        "status_badge": status_badge(ci.status),
        "criticality_badge": criticality_badge(ci.criticality),
        "attribute_values": attribute_values(ci, tree),
        "relies_on": list(
            ci.relationships_out.select_related("target__ci_class").order_by("type", "target__code")
        ),
        "relied_on_by": list(
            ci.relationships_in.select_related("source__ci_class").order_by("type", "source__code")
        ),
        "services": list(ci.services.order_by("code")),
        "incidents": incidents,
        "more_incidents": more_incidents,
        "problems": problems,
        "more_problems": more_problems,
        "warranty_warning": date_warning(ci.warranty_ends_on, today),
        "contract_warning": date_warning(ci.contract.ends_on if ci.contract else None, today),
        "can_edit": user.has_perm(CHANGE),
        "relate_form": RelateForm(),
        "as_of_form": as_of_form,
        **history_context(ci, as_of_form),
    }
    base.update(context)
    return base


class ConfigurationItemDetailView(ObjectDetailView):
    """An item's page. `?as_of=YYYY-MM-DD` adds the item as it was at the end of that day."""

    model = ConfigurationItem
    permission = VIEW
    template_name = "cmdb/ci_detail.html"
    select_related = DETAIL_RELATIONS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ci = self.get_object()
        self.check_permission()
        as_of_form = AsOfForm(request.GET if "as_of" in request.GET else None)
        status = 400 if as_of_form.is_bound and not as_of_form.is_valid() else 200
        return self.render(ci_page_context(request, ci, as_of_form=as_of_form), status=status)


# --------------------------------------------------------------------------------------
# Relationships


class RelateView(ObjectMixin):
    """The page's "add a relationship" form: this item relies on another, or another on
    it. A relationship the rules refuse re-renders the page with the reason (400)."""

    model = ConfigurationItem
    permission = CHANGE
    template_name = "cmdb/ci_detail.html"
    select_related = DETAIL_RELATIONS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ci = self.get_object()
        self.check_permission()
        form = RelateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            other = data["other"]
            outwards = data["direction"] == RelationshipDirection.OUT
            source, target = (ci, other) if outwards else (other, ci)
            try:
                relationship = relate_cis(
                    source,
                    target,
                    data["type"],
                    actor=request.user,
                    note=data["note"],
                    change_number=data["change_number"],
                )
            except ValidationError as exc:
                add_service_errors(form, _remap(exc, RelateForm.error_fields))
            else:
                messages.success(
                    request,
                    gettext("Recorded: %(source)s %(type)s %(target)s.")
                    % {
                        "source": relationship.source.code,
                        "type": relationship.get_type_display(),
                        "target": relationship.target.code,
                    },
                )
                return redirect_after_post(request, ci.get_absolute_url() + "#relationships")
        context = ci_page_context(request, ci, relate_form=form, relate_open=True)
        return self.render(context, status=400)


def _remap(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    errors: dict[str, list[str]] = {}
    for field, messages_ in exc.message_dict.items():
        errors.setdefault(names.get(field, field), []).extend(messages_)
    return ValidationError(errors)


class UnrelateView(ObjectMixin):
    """Remove one of the item's relationships: GET asks for confirmation (in a dialog for
    htmx, as a page otherwise), POST removes it (kept as a former relationship)."""

    model = ConfigurationItem
    permission = CHANGE
    template_name = "cmdb/ci_unrelate.html"
    partial_template_name = "cmdb/_unrelate_form.html"

    def get_relationship(self, ci: ConfigurationItem) -> Relationship:
        relationship: Relationship = get_object_or_404(
            Relationship.objects.select_related("source", "target").filter(
                Q(source=ci) | Q(target=ci)
            ),
            pk=self.kwargs["relationship"],
        )
        return relationship

    def get(self, request: HttpRequest, pk: int, relationship: int) -> HttpResponse:
        ci = self.get_object()
        self.check_permission()
        found = self.get_relationship(ci)
        return self.render({"ci": ci, "relationship": found, "form": UnrelateForm(), "nav": "cmdb"})

    def post(self, request: HttpRequest, pk: int, relationship: int) -> HttpResponse:
        ci = self.get_object()
        self.check_permission()
        found = self.get_relationship(ci)
        form = UnrelateForm(request.POST)
        if not form.is_valid():
            context = {"ci": ci, "relationship": found, "form": form, "nav": "cmdb"}
            return self.render(context, status=400, template=self.template_name)
        described = "%s %s %s" % (found.source.code, found.get_type_display(), found.target.code)
        unrelate_cis(found, actor=request.user, change_number=form.cleaned_data["change_number"])
        messages.success(
            request, gettext("Removed: %(relationship)s.") % {"relationship": described}
        )
        return redirect_after_post(request, ci.get_absolute_url() + "#relationships")


class ItemLookupView(ItsmView):
    """Suggestions for a box where an item is typed by its code: `<option>`s of a datalist,
    the items whose code or name contains the text (`?field=<box's name>&<name>=<text>`),
    of `ci_class` and its subclasses when given."""

    permission = VIEW
    template_name = "cmdb/_ci_options.html"
    limit: ClassVar[int] = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        text = request.GET.get(request.GET.get("field") or "q", "").strip()
        items: list[tuple[str, str]] = []
        if text:
            queryset: QuerySet[ConfigurationItem] = ConfigurationItem.objects.filter(
                Q(code__icontains=text) | Q(name__icontains=text)
            )
            ci_class = request.GET.get("ci_class", "")
            if ci_class:
                queryset = queryset.filter(
                    ci_class__code__in=ClassTree.load().descendants(ci_class)
                )
            items = list(queryset.order_by("code").values_list("code", "name")[: self.limit])
        return self.render({"items": items})


# --------------------------------------------------------------------------------------
# Create and edit


class ConfigurationItemEditView(ObjectEditView):
    """Edit an item's fields and the attributes of its class. Changing the class reloads
    the attribute fields (`cmdb:ci_attribute_fields`). The page's version travels with the
    form: if someone changed the item meanwhile, nothing is overwritten (409)."""

    model = ConfigurationItem
    permission = CHANGE
    permission_message = _("You may not change configuration items.")
    form_class = ConfigurationItemForm
    template_name = "cmdb/ci_edit.html"
    select_related = ("ci_class",)
    versioned = True
    success_message = _("%(object)s saved.")

    def get_form(self, obj: Any, data: QueryDict | None = None) -> forms.BaseForm:
        # A copy: the form writes what was typed into its instance, and a page shown again
        # with errors must still name the item as it is.
        instance = copy.copy(obj) if obj is not None else None
        return ConfigurationItemForm(data=data, initial=self.get_initial(obj), instance=instance)

    def get_initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return {}
        # "New item here": the list or a location's page may preset the class or place.
        return {
            name: self.request.GET[name]
            for name in ("ci_class", "location", "department")
            if self.request.GET.get(name)
        }

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        assert isinstance(form, ConfigurationItemForm)
        data = form.cleaned_data
        if obj is None:
            return create_ci(
                actor=self.request.user,
                fields=form.fixed_values(),
                attributes=form.attribute_values(),
                services=list(data["services"]),
                change_number=data["change_number"],
            )
        assert version is not None
        return update_ci(
            obj,
            actor=self.request.user,
            version=version,
            fields=form.fixed_values(),
            attributes=form.attribute_values(),
            services=list(data["services"]),
            change_number=data["change_number"],
        )

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        assert isinstance(form, ConfigurationItemForm)
        context = super().get_context_data(obj, form, nav="cmdb", **context)
        context["attribute_fields"] = [form[name] for name in form.attribute_names]
        context["ci_class"] = form.chosen_class() in form.tree.classes
        if obj is not None:
            context["version"] = parse_version(self.request.POST) or obj.version
        return context


class ConfigurationItemCreateView(ConfigurationItemEditView):
    permission = ADD
    permission_message = _("You may not add configuration items.")
    success_message = _("%(object)s recorded.")


class AttributeFieldsView(ItsmView):
    """The attribute fields of a class (`?ci_class=<code>`), for the edit page when its
    class select changes; values typed so far (`attributes.<code>=…`) are kept, and for an
    item being edited (`ci=<id>`) its stored values of the attributes not on the page."""

    permission = VIEW
    template_name = "cmdb/_ci_attribute_fields.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        prefix = "attributes."
        ci = request.GET.get("ci", "")
        stored = (
            ConfigurationItem.objects.filter(pk=int(ci))
            .values_list("attributes", flat=True)
            .first()
            if ci.isdigit()
            else None
        )
        values: dict[str, Any] = dict(stored or {})
        # What is on the page wins, also a value just emptied.
        values.update(
            {
                key[len(prefix) :]: value
                for key, value in request.GET.items()
                if key.startswith(prefix)
            }
        )
        tree = ClassTree.load()
        ci_class = request.GET.get("ci_class", "")
        form = AttributeFieldsForm(ci_class, values, tree)
        return self.render(
            {
                "attribute_fields": [form[name] for name in form.attribute_names],
                "ci_class": ci_class in tree.classes,
            }
        )
