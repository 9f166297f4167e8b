"""The forms of the configuration item pages: an item's fields with the typed attributes of
its class, and a relationship to another item."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.attributes import TEXT_MAX, ClassTree, error_key, schema
from itsm.cmdb.choices import AttributeType, RelationshipType
from itsm.cmdb.filters import class_choices, location_label, location_queryset
from itsm.cmdb.models import AttributeDefinition, ConfigurationItem, Service

# A reference attribute offers a select of the items of its class up to this many; beyond,
# a text box for the item's code with suggestions (`cmdb:ci_lookup`).
REFERENCE_SELECT_MAX = 200
CHANGE_NUMBER_MAX = 32
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def change_number_field() -> forms.CharField:
    return forms.CharField(
        label=_("Change record (RFC) number"),
        max_length=CHANGE_NUMBER_MAX,
        required=False,
        help_text=_("The change this was done under, if any: kept with the history."),
        widget=forms.TextInput(attrs={"placeholder": "CHG0000123", "autocomplete": "off"}),
    )


class ItemCodeInput(forms.TextInput):
    """A text box for an item's code that suggests codes as one types: htmx fills its
    datalist from `cmdb:ci_lookup`, restricted to `ci_class` and its subclasses if given."""

    def __init__(self, list_id: str, ci_class: str = "") -> None:
        super().__init__(
            attrs={
                "list": list_id,
                "autocomplete": "off",
                "placeholder": _("Type a code or a name"),
            }
        )
        self.list_id = list_id
        self.ci_class = ci_class

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        query = {"field": name, **({"ci_class": self.ci_class} if self.ci_class else {})}
        context["widget"]["attrs"].update(
            {
                "hx-get": "%s?%s" % (reverse("cmdb:ci_lookup"), urlencode(query)),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#" + self.list_id,
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        return context

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}"></datalist>', html, self.list_id)


def attribute_field(
    definition: AttributeDefinition, tree: ClassTree
) -> tuple[forms.Field, list[tuple[str, str]] | None]:
    """The form field of one attribute, typed; for a reference with few candidates, its
    options (the second item, None otherwise)."""
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    kind = definition.type
    if kind == AttributeType.NUMBER:
        return forms.DecimalField(widget=forms.NumberInput(attrs={"step": "any"}), **common), None
    if kind == AttributeType.DATE:
        return forms.DateField(widget=DATE_INPUT, **common), None
    if kind == AttributeType.CHOICE:
        choices = [("", "—"), *((c, c) for c in definition.choices)]
        return forms.ChoiceField(choices=choices, **common), None
    if kind == AttributeType.IP:
        return forms.GenericIPAddressField(**common), None
    if kind == AttributeType.REFERENCE:
        candidates = ConfigurationItem.objects.order_by("code")
        wanted = definition.reference_class
        if wanted is not None:
            candidates = candidates.filter(ci_class__code__in=tree.descendants(wanted.code))
        rows = list(candidates.values_list("pk", "code", "name")[: REFERENCE_SELECT_MAX + 1])
        if len(rows) <= REFERENCE_SELECT_MAX:
            options = [(str(pk), "%s %s" % (code, name)) for pk, code, name in rows]
            return forms.ChoiceField(choices=[("", "—"), *options], **common), options
        widget = ItemCodeInput(
            "ci-options-%s" % definition.code, wanted.code if wanted is not None else ""
        )
        return forms.CharField(max_length=64, widget=widget, **common), None
    return forms.CharField(max_length=TEXT_MAX, **common), None


class AttributeFieldsMixin:
    """Adds a field `attributes.<code>` per attribute of the chosen class, so that the
    service's errors (keyed the same) land next to them."""

    definitions: list[AttributeDefinition]

    def add_attribute_fields(
        self, ci_class: str, tree: ClassTree, values: dict[str, Any] | None
    ) -> None:
        form: Any = self
        self.definitions = schema(ci_class, tree) if ci_class in tree.classes else []
        values = values or {}
        codes = _codes_of(
            [values.get(d.code) for d in self.definitions if d.type == AttributeType.REFERENCE]
        )
        for definition in self.definitions:
            field, options = attribute_field(definition, tree)
            name = error_key(definition.code)
            form.fields[name] = field
            value = values.get(definition.code)
            if value in (None, ""):
                continue
            if definition.type == AttributeType.REFERENCE and options is None:
                value = codes.get(value, value)
            elif definition.type == AttributeType.DATE and isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    pass
            form.initial[name] = value

    @property
    def attribute_names(self) -> list[str]:
        return [error_key(d.code) for d in self.definitions]

    def attribute_values(self) -> dict[str, Any]:
        """The attributes as the service takes them: empty ones left out."""
        values: dict[str, Any] = {}
        cleaned: dict[str, Any] = getattr(self, "cleaned_data", {})
        for definition in self.definitions:
            value = cleaned.get(error_key(definition.code))
            if value not in (None, ""):
                values[definition.code] = value
        return values


def _codes_of(ids: list[Any]) -> dict[Any, str]:
    """The codes of referenced items (stored as ids), for the text boxes that show codes."""
    wanted = [value for value in ids if isinstance(value, int)]
    if not wanted:
        return {}
    return dict(ConfigurationItem.objects.filter(pk__in=wanted).values_list("pk", "code"))


class ConfigurationItemForm(AttributeFieldsMixin, forms.ModelForm):  # type: ignore[type-arg]
    """An item's fields and its class's attributes. The rules between fields (a location
    that is a location item, a contract with the item's vendor, the attribute schema) are
    the service's: its errors are shown per field."""

    change_number = change_number_field()

    class Meta:
        model = ConfigurationItem
        fields = (
            "code",
            "name",
            "ci_class",
            "status",
            "criticality",
            "location",
            "position",
            "department",
            "owner_group",
            "vendor",
            "contract",
            "serial_number",
            "asset_tag",
            "ip_address",
            "purchased_on",
            "warranty_ends_on",
            "services",
        )
        widgets: ClassVar[dict[str, Any]] = {
            "purchased_on": DATE_INPUT,
            "warranty_ends_on": DATE_INPUT,
            "services": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, tree: ClassTree | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tree = tree or ClassTree.load()
        fields = self.fields
        ci_class: Any = fields["ci_class"]
        ci_class.widget.choices = [("", "—"), *class_choices(self.tree)]
        # Another class has other attributes: their fields are reloaded, keeping the values
        # typed for attributes both classes have.
        ci_class.widget.attrs.update(
            {
                "hx-get": reverse("cmdb:ci_attribute_fields")
                + ("?ci=%d" % self.instance.pk if self.instance.pk else ""),
                "hx-target": "#attribute-fields",
                "hx-include": "#attribute-fields",
                "hx-indicator": "#attribute-spinner",
                "hx-trigger": "change",
                "hx-sync": "this:replace",
            }
        )
        # Any item is accepted here, so that the service says why one is not a location;
        # the select offers the locations, each as its path.
        location: Any = fields["location"]
        location.queryset = ConfigurationItem.objects.all()
        location.widget.choices = [
            ("", "—"),
            *((str(item.pk), location_label(item)) for item in location_queryset(self.tree)),
        ]
        for name in ("department", "owner_group", "vendor", "contract"):
            choice: Any = fields[name]
            choice.empty_label = "—"
        services: Any = fields["services"]
        services.queryset = Service.objects.order_by("code")
        services.help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")
        fields["code"].widget.attrs["autocomplete"] = "off"
        # A changed class keeps the values of the attributes both classes have.
        self.add_attribute_fields(self.chosen_class(), self.tree, self.instance.attributes)

    def chosen_class(self) -> str:
        if self.is_bound:
            return str(self.data.get("ci_class") or "")
        return str(self.initial.get("ci_class") or self.instance.ci_class_id or "")

    def fixed_values(self) -> dict[str, Any]:
        """The item's fields as `create_ci` and `update_ci` take them."""
        data = self.cleaned_data
        return {name: data[name] for name in self._meta.fields or () if name != "services"}


class AttributeFieldsForm(AttributeFieldsMixin, forms.Form):
    """Only the attribute fields of a class: what the edit page reloads when the class
    select changes, keeping the values typed so far for attributes both classes have."""

    def __init__(self, ci_class: str, values: dict[str, Any], tree: ClassTree) -> None:
        super().__init__()
        self.add_attribute_fields(ci_class, tree, values)


class RelationshipDirection:
    OUT = "out"
    IN = "in"

    choices = (
        (OUT, _("This item relies on the other")),
        (IN, _("The other item relies on this one")),
    )


class RelateForm(forms.Form):
    """A relationship between the page's item and another, named by its code."""

    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=RelationshipDirection.choices,
        initial=RelationshipDirection.OUT,
    )
    type = forms.ChoiceField(label=_("Relationship"), choices=RelationshipType.choices)
    other = forms.CharField(
        label=_("Other item"), max_length=64, widget=ItemCodeInput("ci-options-relate")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    change_number = change_number_field()

    # The service's errors about either end belong to the other item's field.
    error_fields: ClassVar[dict[str, str]] = {"source": "other", "target": "other"}

    def clean_other(self) -> ConfigurationItem:
        code = self.cleaned_data["other"].strip()
        item = ConfigurationItem.objects.filter(code=code).first()
        if item is None:
            raise forms.ValidationError(
                gettext("There is no configuration item “%(code)s”.") % {"code": code}
            )
        return item


class UnrelateForm(forms.Form):
    change_number = change_number_field()
