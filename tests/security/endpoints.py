"""Every URL the product answers, collected from the URL conf and the OpenAPI schema (so that
a new page or endpoint is found without anyone listing it), with its path parameters filled
with the ids of the fixture hospital's records."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from tests.security.hospital import HospitalTestCase, VendorSide

# The records behind a `pk` (or `ci`, `incident`, ...), chosen by the URL's name: the first
# rule whose pattern matches the name wins. Vendor-routed kinds come from a vendor side.
Pick = Callable[[HospitalTestCase, VendorSide], Any]
RECORDS: tuple[tuple[str, Pick], ...] = (
    (r"notification_open", lambda h, s: h.notification),
    (r"attachment$", lambda h, s: s.attachment),
    (
        r"(accounts:token_revoke|api:apitoken-)",
        lambda h, s: h.nurse.api_tokens.order_by("pk").first(),
    ),
    (r"accounts:user_roles", lambda h, s: h.nurse),
    (r"(changes:incident_open_changes|problems:incident_known_errors)", lambda h, s: s.incident),
    (r"(incidents:|portal:|api:incident-)", lambda h, s: s.incident),
    (r"(cmdb:|api:configurationitem-)", lambda h, s: h.printer),
    (r"(knowledge:|api:article-)", lambda h, s: h.article),
    (r"(problems:proposal|api:proposedproblem-)", lambda h, s: h.proposal),
    (r"(problems:|api:problem-)", lambda h, s: s.problem),
    (r"(changes:blackout|api:blackoutwindow-)", lambda h, s: h.blackout),
    (r"api:changetemplate-", lambda h, s: h.change_template),
    (r"api:riskquestion-", lambda h, s: h.change_template and _first("changes.riskquestion")),
    (r"(changes:|api:change-)", lambda h, s: s.change),
    # The deployment form's <pk> is its release's.
    (r"releases:deployment_create", lambda h, s: s.release),
    (r"(releases:deployment|api:deployment-)", lambda h, s: s.deployment),
    (r"(releases:|api:release-)", lambda h, s: s.release),
    (r"sla:service_", lambda h, s: h.his),
    (r"(sla:agreement|api:agreement-)", lambda h, s: h.agreement),
    (r"(sla:calendar|api:businesscalendar-)", lambda h, s: h.calendar),
    (r"(sla:duty|api:dutyshift-)", lambda h, s: h.duty),
    (r"api:department-", lambda h, s: h.emergency),
    (r"api:supportgroup-", lambda h, s: h.front_group),
    (r"api:user-", lambda h, s: h.nurse),
    (r"api:vendor-", lambda h, s: h.his_vendor),
    (r"api:service-", lambda h, s: h.his),
    (r"api:relationship-", lambda h, s: h.relationship),
    (r"api:ciclass-", lambda h, s: h.printer.ci_class),
    (r"api:attributedefinition-", lambda h, s: _first("cmdb.attributedefinition")),
    (r"api:contract-", lambda h, s: h.contract),
    (r"api:calendarday-", lambda h, s: h.calendar_day),
    (r"api:statutoryday-", lambda h, s: h.statutory_day),
)

# A transition each workflow's detail page can be asked for.
TRANSITIONS = {
    "incidents": "resolve",
    "portal": "confirm",
    "knowledge": "retire",
    "problems": "investigate",
    "changes": "submit",
    "releases": "start_test",
}


def _first(label: str) -> Any:
    return apps.get_model(label).objects.order_by("pk").first()


def _record(name: str, hospital: HospitalTestCase, side: VendorSide) -> Any:
    for pattern, pick in RECORDS:
        if re.match(pattern, name):
            return pick(hospital, side)
    raise LookupError(f"No fixture record for the URL {name}: add a rule to RECORDS.")


def fill(
    name: str, route: str, params: list[str], hospital: HospitalTestCase, side: VendorSide
) -> dict[str, Any]:
    """The URL kwargs of the named URL: ids of the fixture's records (from `side` where the
    record is routed to a vendor), a transition of its workflow, a known value otherwise."""
    namespace = name.partition(":")[0]
    values: dict[str, Callable[[], Any]] = {
        "pk": lambda: (
            _admin_record(route) if route.startswith("admin/") else _record(name, hospital, side).pk
        ),
        "ci": lambda: hospital.printer.pk,
        "incident": lambda: side.incident.pk,
        "relationship": lambda: hospital.relationship.pk,
        "content_type": lambda: ContentType.objects.get_for_model(side.incident).pk,
        "content_type_id": lambda: ContentType.objects.get_for_model(side.incident).pk,
        "object_id": lambda: (
            _admin_record(route) if re.match(r"admin/\w\w+/", route) else side.incident.pk
        ),
        "update": lambda: side.cmdb_update.pk,
        "task": lambda: side.task.pk,
        "day": lambda: hospital.calendar_day.pk,
        "kind": lambda: "incident",
        "other": lambda: side.incident.pk,
        "decision": lambda: "dismiss",
        "name": lambda: TRANSITIONS[namespace],
        "job": lambda: "00000000-0000-0000-0000-000000000000",
        "fmt": lambda: "csv",
        "format": lambda: "json",
        "code": lambda: hospital.printer.code,
        "app_label": lambda: "incidents",
        "url": lambda: "nowhere/",
        "id": lambda: hospital.nurse.pk,
    }
    return {param: values[param]() for param in params}


def _admin_record(route: str) -> Any:
    """The id of the first record of the model an admin page's route names
    (admin/<app>/<model>/), or 0 where there is none (the admin then redirects a staff
    member to its index and refuses everyone else alike)."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    assert match is not None, route
    found = apps.get_model(match.group(1), match.group(2)).objects.order_by("pk").first()
    return found.pk if found is not None else 0


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern: its full route, its name (namespace:name, or the view's dotted path
    when unnamed) and its path parameters."""

    route: str
    name: str
    params: tuple[str, ...]

    def url(self, hospital: HospitalTestCase, side: VendorSide) -> str:
        kwargs = fill(self.name, self.route, list(self.params), hospital, side)
        if not self.name.startswith("?"):
            return reverse(self.name, kwargs=kwargs or None)
        # An unnamed pattern: put the values into its route (path() or regex syntax).
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), self.route)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), route)
        return "/" + route.replace("^", "").replace("$", "")


def _params(pattern: URLPattern | URLResolver) -> list[str]:
    regex = pattern.pattern.regex
    return list(regex.groupindex)


def walk(
    patterns: list[Any], route: str = "", namespace: str = "", params: tuple[str, ...] = ()
) -> Iterator[Endpoint]:
    for pattern in patterns:
        found = params + tuple(_params(pattern))
        here = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, here, inner, found)
        elif pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield Endpoint(here, name, found)
        else:
            yield Endpoint(here, "?" + here, found)  # unnamed: known by its route


def url_endpoints() -> list[Endpoint]:
    """Every pattern of the URL conf, once (a name reversed with different parameters, as
    the router's format suffixes are, gives one entry per parameter set)."""
    seen: dict[tuple[str, str], Endpoint] = {}
    for endpoint in walk(get_resolver().url_patterns):
        seen.setdefault((endpoint.name, endpoint.route), endpoint)
    return list(seen.values())


def schema_operations() -> list[tuple[str, str]]:
    """(path, METHOD) of every operation of the OpenAPI schema."""
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return sorted(
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )
