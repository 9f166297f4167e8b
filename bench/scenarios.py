"""What the bench measures, over real HTTP: the filtered API list, group queues, the queue
page, the incident page, and sequential creates through the API; for comparison, the
framework's floor (the API root, and the product's simplest audited create). Each scenario
is bounded by a request count and a time limit."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.client import Client

Paths = Callable[[random.Random], str]
Body = Callable[[int], dict[str, Any]]

# The floor scenario's vendors are named with this prefix, so a rerun can remove them.
FLOOR_VENDOR_PREFIX = "基准厂商-"


@dataclass(frozen=True)
class Context:
    """Ids the scenarios put into their URLs and bodies."""

    incidents: int
    front_group: int
    requester: int
    service: int


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    who: str  # which signed-in client
    path: Paths
    p95_target_ms: float | None  # None: measured for information


@dataclass
class Result:
    key: str
    label: str
    target: str
    times: list[float] = field(default_factory=list)  # seconds
    errors: list[str] = field(default_factory=list)
    rate: float | None = None  # creates per second
    cpu_ms: float | None = None  # server CPU per timed request
    ok: bool | None = None

    def ms(self, quantile: float) -> float:
        if not self.times:
            return float("nan")
        ordered = sorted(self.times)
        index = min(len(ordered) - 1, max(0, round(quantile * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "target": self.target,
            "ok": self.ok,
            "requests": len(self.times),
            "errors": self.errors[:5],
            "p50_ms": round(self.ms(0.5), 1),
            "p95_ms": round(self.ms(0.95), 1),
            "max_ms": round(self.ms(1.0), 1),
            "mean_ms": round(statistics.fmean(self.times) * 1000, 1) if self.times else None,
            "rate_per_s": round(self.rate, 1) if self.rate is not None else None,
            "server_cpu_ms": round(self.cpu_ms, 1) if self.cpu_ms is not None else None,
        }


def read_scenarios(context: Context) -> list[Scenario]:
    n = context.incidents
    group = context.front_group

    def incident_page(rng: random.Random) -> str:
        return "/incidents/%d/" % rng.randint(1, n)

    return [
        Scenario(
            "api_list",
            "API list ?status=assigned&priority=2 (agent)",
            "agent_api",
            lambda rng: "/api/incidents/?status=assigned&priority=2",
            50,
        ),
        Scenario(
            "api_group_queue",
            "API group queue ?assignment_group=G&open=true (agent)",
            "agent_api",
            lambda rng: "/api/incidents/?assignment_group=%d&open=true" % group,
            50,
        ),
        Scenario(
            "api_vendor_queue",
            "API my-groups queue (vendor engineer)",
            "vendor_api",
            lambda rng: "/api/incidents/?queue=my_groups&open=true",
            50,
        ),
        Scenario(
            "queue_page",
            "queue page /incidents/ (front line: my groups, open)",
            "engineer_ui",
            lambda rng: "/incidents/",
            50,
        ),
        Scenario(
            "queue_page_all",
            "queue page /incidents/?queue=all (agent: all open)",
            "agent_ui",
            lambda rng: "/incidents/?queue=all",
            50,
        ),
        Scenario(
            "incident_page",
            "incident page /incidents/<id>/ (random of all)",
            "agent_ui",
            incident_page,
            30,
        ),
        Scenario(
            "api_list_all",
            "API list, no filter: everything, by priority (info)",
            "agent_api",
            lambda rng: "/api/incidents/",
            None,
        ),
        Scenario(
            "api_root",
            "API root /api/ (agent): the framework's floor (info)",
            "agent_api",
            lambda rng: "/api/",
            None,
        ),
    ]


def measure(
    client: Client,
    scenario: Scenario,
    *,
    requests: int,
    warmup: int,
    seconds: float,
    rng: random.Random,
    cpu: Callable[[], float],
) -> Result:
    target = "p95 ≤ %d ms" % scenario.p95_target_ms if scenario.p95_target_ms else "(info)"
    result = Result(scenario.key, scenario.label, target)
    deadline = time.monotonic() + seconds
    cpu_start = cpu()
    for index in range(warmup + requests):
        if index == warmup:
            cpu_start = cpu()
        if time.monotonic() > deadline:
            result.errors.append("time limit reached after %d requests" % len(result.times))
            break
        path = scenario.path(rng)
        response = client.get(path)
        if response.status != 200:
            result.errors.append("HTTP %d for %s" % (response.status, path))
            if len(result.errors) >= 3:
                break
            continue
        if index >= warmup:
            result.times.append(response.seconds)
    if result.times:
        result.cpu_ms = (cpu() - cpu_start) * 1000 / len(result.times)
    if scenario.p95_target_ms is not None and result.times:
        result.ok = result.ms(0.95) <= scenario.p95_target_ms and not result.errors
    return result


def incident_body(context: Context) -> Body:
    """A phone call logged and assigned to the front line, as the desk console sends it."""
    body = {
        "title": "急诊分诊台条码打印机不出纸",
        "description": "分诊台打印腕带时无反应，已重新装纸。",
        "impact": 2,
        "urgency": 2,
        "channel": "phone",
        "requester": context.requester,
        "service": context.service,
        "assignment_group": context.front_group,
    }
    return lambda index: body


def vendor_body(run: str) -> Body:
    """The product's simplest audited create: a vendor, one row and its audit entry."""
    return lambda index: {"name": "%s%s-%d" % (FLOOR_VENDOR_PREFIX, run, index)}


def measure_creates(
    client: Client,
    key: str,
    label: str,
    path: str,
    body: Body,
    *,
    requests: int,
    warmup: int,
    seconds: float,
    target: float | None,
    cpu: Callable[[], float],
) -> Result:
    """Sequential POSTs of `body(index)` to `path`; the rate is creates per second of wall
    time. Without a target the figure is for information."""
    result = Result(key, label, "≥ %d creates/s" % target if target else "(info)")
    deadline = time.monotonic() + seconds
    started = 0.0
    cpu_start = cpu()
    for index in range(warmup + requests):
        if index == warmup:
            started = time.perf_counter()
            cpu_start = cpu()
        if time.monotonic() > deadline:
            result.errors.append("time limit reached after %d requests" % len(result.times))
            break
        response = client.post_json(path, body(index))
        if response.status != 201:
            result.errors.append(
                "HTTP %d: %s" % (response.status, response.body[:200].decode(errors="replace"))
            )
            if len(result.errors) >= 3:
                break
            continue
        if index >= warmup:
            result.times.append(response.seconds)
    if result.times:
        result.rate = len(result.times) / (time.perf_counter() - started)
        result.cpu_ms = (cpu() - cpu_start) * 1000 / len(result.times)
        if target:
            result.ok = result.rate >= target and not result.errors
    return result
