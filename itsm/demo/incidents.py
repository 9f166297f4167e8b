"""The demo's incidents: a few hundred stories over the last 90 days, each told through the
real service verbs (log, assign, accept, escalate to a vendor, pend, resume, resolve,
confirm or close, replies and work notes), so every record went through the same rules,
audit and routing as in production. A story is planned first as steps with delays; then it
is placed in time (closed ones anywhere in the 90 days, open ones recently, resolved ones
within the auto-close period) and run; `Recorder` back-dates what it wrote."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from itsm.accounts.choices import Role
from itsm.accounts.models import SupportGroup, User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.services import SYSTEM
from itsm.demo import faults as F
from itsm.demo.faults import FAULTS, OUTAGE, Fault
from itsm.demo.timeline import Recorder
from itsm.incidents.choices import (
    IncidentChannel,
    IncidentKind,
    IncidentPendingReason,
    IncidentStatus,
)
from itsm.incidents.models import Incident, IncidentCategory
from itsm.incidents.services import (
    comment_on_incident,
    log_incident,
    set_major_incident,
    transition_incident,
)

S = IncidentStatus
P = IncidentPendingReason
SEED = 2026
MAIN = "main"
DAY = 24 * 60  # minutes

# How many incidents end in each status (the mass outage adds five closed ones).
STATUS_COUNTS: tuple[tuple[str, int], ...] = (
    (S.CLOSED, 205),
    (S.RESOLVED, 22),
    (S.CANCELLED, 18),
    (S.NEW, 16),
    (S.ASSIGNED, 24),
    (S.IN_PROGRESS, 30),
    (S.PENDING, 22),
)
WORKED = (S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CLOSED)

CHANNELS = (
    IncidentChannel.PHONE,
    IncidentChannel.PORTAL,
    IncidentChannel.WALK_IN,
    IncidentChannel.EMAIL,
)
CHANNEL_WEIGHTS = (55, 28, 10, 7)

# Step: do one thing to the incidents of a story (by name) at a planned time.
Step = Callable[[dict[str, Incident], datetime], None]


@dataclass
class Plan:
    """A story's steps, each with its offset in minutes from the story's start."""

    steps: list[tuple[float, Step]] = field(default_factory=list)
    length: float = 0.0

    def then(self, minutes: float, step: Step) -> None:
        self.length += minutes
        self.steps.append((self.length, step))


@dataclass
class Story:
    """One incident's story while it is being planned."""

    rng: random.Random
    fault: Fault
    status: str
    requester: User
    desk: User
    channel: str
    monitored: bool
    pace: float  # urgent incidents move faster
    first_group: SupportGroup  # where the desk routes it first
    assigned: bool = False
    worker: User | None = None  # who resolves it
    plan: Plan = field(default_factory=Plan)

    def then(self, low: float, high: float, step: Step) -> None:
        """The next step, after a delay of between `low` and `high` minutes."""
        self.plan.then(self.rng.uniform(low, high) if high else 0, step)


class Cast:
    """The people, groups, services and CIs the stories need, read fresh from the database
    after the organisation is loaded (so role and group caches are right)."""

    def __init__(self) -> None:
        users = User.objects.select_related("department").prefetch_related("groups")
        self.users = {u.username: u for u in users}
        self.groups = {g.name: g for g in SupportGroup.objects.all()}
        self.members: dict[str, list[User]] = {
            g.name: sorted(
                (self.users[m.username] for m in g.members.all()), key=lambda u: u.username
            )
            for g in self.groups.values()
        }
        self.services = {s.code: s for s in Service.objects.all()}
        self.categories = {c.code: c for c in IncidentCategory.objects.all()}
        self.items = {c.code: c for c in ConfigurationItem.objects.all()}
        self.item_codes = sorted(self.items)
        requesters = [
            u
            for u in self.users.values()
            if Role.REQUESTER in u.role_names() and u.department is not None
        ]
        self.requesters = sorted(requesters, key=lambda u: u.username)
        self.by_department: dict[str, list[User]] = {}
        for user in self.requesters:
            assert user.department is not None
            self.by_department.setdefault(user.department.code, []).append(user)
        self.desk = self.members[F.DESK]
        self.monitor = self.users["monitor"]
        self.manager = self.users["manager1"]


class Storyteller:
    def __init__(self, cast: Cast, now: datetime, rng: random.Random) -> None:
        self.cast = cast
        self.now = now
        self.rng = rng
        self.majors_declared = 0
        self.auto_close_minutes = settings.ITSM_AUTO_CLOSE_DAYS * DAY

    # Choosing

    def minutes(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def pick_fault(self, status: str) -> Fault:
        candidates = [
            f
            for f in FAULTS
            if status not in (S.ASSIGNED, S.IN_PROGRESS, S.PENDING) or f.front != F.DESK
        ]
        return self.rng.choices(candidates, weights=[f.weight for f in candidates])[0]

    def pick_requester(self, fault: Fault) -> User:
        if fault.where == F.MONITORING:
            return self.cast.monitor
        pool = [u for code in fault.where for u in self.cast.by_department.get(code, [])]
        return self.rng.choice(pool or self.cast.requesters)

    def pick_item(self, fault: Fault, department_code: str) -> ConfigurationItem | None:
        if not fault.ci:
            return None
        prefix = fault.ci.format(code=department_code)
        codes = [code for code in self.cast.item_codes if code.startswith(prefix)]
        return self.cast.items[self.rng.choice(codes)] if codes else None

    def member(self, group: str) -> User:
        return self.rng.choice(self.cast.members[group])

    def agent(self) -> User:
        return self.rng.choice(self.cast.desk)

    # Steps

    @staticmethod
    def log(name: str, data: dict[str, Any], actor: Any, lead: float) -> Step:
        def step(board: dict[str, Incident], at: datetime) -> None:
            fields = {**data, "reported_at": at - timedelta(minutes=lead)}
            if "parent" in fields:
                fields["parent"] = board[fields["parent"]]
            board[name] = log_incident(fields, actor=actor)

        return step

    @staticmethod
    def do(transition: str, actor: Any, name: str = MAIN, **data: Any) -> Step:
        def step(board: dict[str, Incident], at: datetime) -> None:
            board[name] = transition_incident(board[name], transition, actor=actor, data=data)

        return step

    @staticmethod
    def say(actor: User, body: str, internal: bool = False, name: str = MAIN) -> Step:
        def step(board: dict[str, Incident], at: datetime) -> None:
            comment_on_incident(board[name], actor=actor, body=body, internal=internal)

        return step

    @staticmethod
    def declare_major(actor: User, reason: str) -> Step:
        def step(board: dict[str, Incident], at: datetime) -> None:
            board[MAIN] = set_major_incident(board[MAIN], actor=actor, major=True, reason=reason)

        return step

    # Stories

    def story(self, fault: Fault, status: str) -> Plan:
        """The steps one incident takes to reach `status`, the way the desk, the front line
        and the vendors would have worked it."""
        story = self.intake(fault, status)
        if status == S.NEW:
            if story.channel == IncidentChannel.PORTAL and self.rng.random() < 0.3:
                story.then(10, 60, self.say(story.requester, self.chaser()))
        elif status == S.CANCELLED:
            self.cancel(story)
        elif fault.front == F.DESK:  # solved at first contact by the agent on the phone
            story.then(2 * story.pace, 12 * story.pace, self.resolve(story.desk, fault))
            if status != S.RESOLVED:
                self.close(story.plan, story.requester, story.desk, story.monitored)
        elif self.work(story) and status != S.RESOLVED:
            self.maybe_reopen(story)
            self.close(story.plan, story.requester, story.desk, story.monitored)
        return story.plan

    def intake(self, fault: Fault, status: str) -> Story:
        """The call, visit, portal report or alert is logged (and often assigned at once)."""
        rng, cast = self.rng, self.cast
        requester = self.pick_requester(fault)
        department = requester.department
        assert department is not None
        item = self.pick_item(fault, department.code)
        urgency = min(3, fault.urgency + (1 if rng.random() < 0.15 else 0))
        monitored = fault.where == F.MONITORING
        channel = (
            IncidentChannel.MONITORING if monitored else rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        )
        misrouted = fault.front in (F.NETWORK, F.APPS) and not monitored and rng.random() < 0.1
        story = Story(
            rng=rng,
            fault=fault,
            status=status,
            requester=requester,
            desk=self.agent(),
            channel=channel,
            monitored=monitored,
            pace={1: 0.15, 2: 0.4, 3: 1.0, 4: 1.5, 5: 2.0}[fault.impact + urgency - 1],
            first_group=cast.groups[F.DESKTOP if misrouted else fault.front],
        )
        data: dict[str, Any] = {
            "kind": fault.kind,
            "channel": channel,
            "title": fault.title.format(dept=department.name),
            "description": fault.description.format(dept=department.name),
            "impact": fault.impact,
            "urgency": urgency,
            "service": cast.services[fault.service],
            "category": cast.categories.get(fault.category),
            "requester": requester,
            "configuration_items": [item] if item else [],
        }
        if monitored:
            data["assignment_group"] = story.first_group
            story.assigned = True
            story.then(0, 0, self.log(MAIN, data, cast.monitor, lead=0))
        elif channel == IncidentChannel.PORTAL:
            story.then(0, 0, self.log(MAIN, data, requester, lead=0))
        else:
            if status != S.NEW and fault.front != F.DESK and rng.random() < 0.6:
                data["assignment_group"] = story.first_group
                story.assigned = True
            story.then(0, 0, self.log(MAIN, data, story.desk, lead=self.minutes(1, 6)))
        return story

    def cancel(self, story: Story) -> None:
        """Withdrawn by the requester while still new, or cancelled by the desk later."""
        if not story.assigned and self.rng.random() < 0.5:
            story.then(
                5, 90, self.do("cancel", story.requester, reason=self.rng.choice(F.CANCEL_REASONS))
            )
            return
        if not story.assigned:
            story.then(2, 30, self.do("assign", story.desk, assignment_group=story.first_group.pk))
        story.then(10, 120, self.do("cancel", story.desk, reason=F.CANCEL_REASONS[1]))

    def work(self, story: Story) -> bool:
        """Assign, accept, maybe escalate to a vendor's back line, maybe wait, resolve.
        Returns False when the story ends before the resolution (an open incident)."""
        rng, cast, fault, status, pace = self.rng, self.cast, story.fault, story.status, story.pace
        if not story.assigned:
            story.then(
                2 * pace,
                30 * pace,
                self.do("assign", story.desk, assignment_group=story.first_group.pk),
            )
        worker = self.member(story.first_group.name)
        if story.first_group.name != fault.front:  # the desk chose the wrong team
            story.then(
                10 * pace,
                40 * pace,
                self.do(
                    "reassign",
                    worker,
                    assignment_group=cast.groups[fault.front].pk,
                    reason="不是桌面终端问题，转%s处理。" % fault.front,
                ),
            )
            worker = self.member(fault.front)
        escalate = bool(fault.back) and rng.random() < 0.65
        if status == S.ASSIGNED and not (escalate and rng.random() < 0.4):
            return False
        story.then(5 * pace, 60 * pace, self.do("accept", worker))
        if rng.random() < 0.35 and not story.monitored:
            story.then(2, 20, self.say(worker, rng.choice(F.ENGINEER_REPLIES)))
        if fault.notes:
            story.then(5 * pace, 60 * pace, self.say(worker, fault.notes[0], True))
        if escalate:
            story.then(
                30 * pace,
                240 * pace,
                self.do(
                    "escalate",
                    worker,
                    assignment_group=cast.groups[fault.back].pk,
                    reason=fault.escalation,
                ),
            )
            if status == S.ASSIGNED:
                return False
            self.maybe_declare_major(story)
            worker = self.member(fault.back)
            story.then(10 * pace, 180 * pace, self.do("accept", worker))
            note = fault.notes[1] if len(fault.notes) > 1 else "已远程登录排查。"
            story.then(10, 90, self.say(worker, note, True))
        story.worker = worker
        if status == S.IN_PROGRESS:
            if rng.random() < 0.3 and not story.monitored:
                story.then(60, 240, self.say(story.requester, self.chaser()))
            return False
        if status == S.PENDING or rng.random() < 0.25:
            if escalate:
                reason = rng.choice((P.PARTS, P.CHANGE))
            else:
                reason = P.VENDOR if fault.back else rng.choice((P.REQUESTER, P.PARTS))
            story.then(
                10,
                120,
                self.do("pend", worker, pending_reason=reason, note=F.PENDING_NOTES[reason]),
            )
            if status == S.PENDING:
                return False
            story.then(120, 2 * DAY, self.do("resume", worker))
        story.then(20 * pace, 480 * pace, self.resolve(worker, fault))
        return True

    def maybe_declare_major(self, story: Story) -> None:
        """An IT manager declares a few urgent, widely felt faults major incidents."""
        fault = story.fault
        if (fault.urgency, fault.impact) == (1, 2) and self.majors_declared < 3:
            if self.rng.random() < 0.3:
                self.majors_declared += 1
                story.then(
                    5,
                    30,
                    self.declare_major(
                        self.cast.manager, "影响多个科室的业务高峰，按重大事件处理。"
                    ),
                )

    def maybe_reopen(self, story: Story) -> None:
        """Now and then the fault comes back and the requester reopens the incident."""
        if story.monitored or story.worker is None or self.rng.random() >= 0.07:
            return
        worker = story.worker
        story.then(
            60, DAY, self.do("reopen", story.requester, reason=self.rng.choice(F.REOPEN_REASONS))
        )
        story.then(10, 120, self.do("accept", worker))
        story.then(
            30,
            240,
            self.do(
                "resolve",
                worker,
                resolution_code=story.fault.resolution,
                resolution_notes="复查后彻底处理：" + story.fault.fix,
            ),
        )

    def resolve(self, actor: User, fault: Fault) -> Step:
        return self.do(
            "resolve", actor, resolution_code=fault.resolution, resolution_notes=fault.fix
        )

    def chaser(self) -> str:
        return self.rng.choice(F.REQUESTER_CHASERS)

    def close(self, plan: Plan, requester: User, desk: User, monitored: bool) -> None:
        draw = self.rng.random()
        if draw < 0.55 and not monitored:
            plan.then(
                self.minutes(10, 2 * DAY),
                self.do("confirm", requester, note=self.rng.choice(F.REQUESTER_THANKS)),
            )
        elif draw < 0.8:
            plan.then(
                self.minutes(60, DAY), self.do("close", desk, note="电话回访，科室确认已恢复。")
            )
        else:
            plan.then(
                self.auto_close_minutes + self.minutes(1, 10),
                self.do(
                    "close",
                    SYSTEM,
                    note="已解决超过%d天未确认，系统自动关闭。" % settings.ITSM_AUTO_CLOSE_DAYS,
                ),
            )

    def outage(self) -> Plan:
        """A mass outage: the parent is logged as a major incident, four wards call in and
        are linked to it as children; resolving the parent resolves them."""
        cast, plan, fault = self.cast, Plan(), OUTAGE
        desk = cast.users["desk1"]
        plan.then(
            0,
            self.log(
                MAIN,
                {
                    "title": fault.title,
                    "description": fault.description,
                    "impact": fault.impact,
                    "urgency": fault.urgency,
                    "service": cast.services["HIS"],
                    "category": cast.categories.get(fault.category),
                    "channel": IncidentChannel.PHONE,
                    "requester": cast.users["nurse16"],
                    "configuration_items": [cast.items[fault.ci]],
                    "assignment_group": cast.groups[fault.front],
                },
                desk,
                lead=2,
            ),
        )
        children = ("nurse3", "nurse4", "nurse7", "nurse9")
        for index, username in enumerate(children):
            nurse = cast.users[username]
            assert nurse.department is not None
            plan.then(
                self.minutes(1, 4),
                self.log(
                    "child%d" % index,
                    {
                        "title": F.OUTAGE_CHILD_TITLE.format(dept=nurse.department.name),
                        "description": F.OUTAGE_CHILD_DESCRIPTION,
                        "impact": 3,
                        "urgency": 1,
                        "service": cast.services["HIS"],
                        "category": cast.categories.get(fault.category),
                        "channel": IncidentChannel.PHONE,
                        "requester": nurse,
                        "parent": MAIN,
                        "kind": IncidentKind.INCIDENT,
                    },
                    self.agent(),
                    lead=1,
                ),
            )
        engineer, vendor = cast.users["eng8"], cast.users["vendor1"]
        plan.then(3, self.do("accept", engineer))
        plan.then(2, self.say(engineer, fault.notes[0], True))
        plan.then(
            8,
            self.do(
                "escalate",
                engineer,
                assignment_group=cast.groups[fault.back].pk,
                reason=fault.escalation,
            ),
        )
        plan.then(4, self.do("accept", vendor))
        plan.then(25, self.say(vendor, "已调整连接池参数，正在滚动重启 HIS 应用服务器。", True))
        # Resolving the parent resolves the children with the same resolution.
        plan.then(
            6,
            self.do(
                "resolve", vendor, resolution_code=fault.resolution, resolution_notes=fault.fix
            ),
        )
        plan.then(3, self.say(engineer, "HIS 已恢复，请各病区重新登录。"))
        for index, username in enumerate(children):
            plan.then(
                self.minutes(5, 60),
                self.do(
                    "confirm",
                    cast.users[username],
                    name="child%d" % index,
                    note=self.rng.choice(F.REQUESTER_THANKS),
                ),
            )
        plan.then(60, self.do("close", desk, note="全院已恢复，各病区确认正常。"))
        return plan

    # Placing in time and running

    def start_of(self, plan: Plan, status: str) -> datetime:
        """When the story starts, so that it ends before now and looks like the hospital's
        day: closed and cancelled ones anywhere in the last 90 days, mostly in working
        hours; open ones recently; resolved ones before the auto-close would have run."""
        rng = self.rng
        if status in (S.CLOSED, S.CANCELLED):
            day = timezone.localtime(self.now - timedelta(days=rng.randint(1, 89)))
            hour = rng.choices(range(24), weights=HOURLY_CALLS)[0]
            start = day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))
            latest = self.now - timedelta(minutes=plan.length + 30)
            return min(start, latest)
        gaps: dict[str, tuple[float, float]] = {
            S.NEW: (5, 180),
            S.ASSIGNED: (5, DAY),
            S.IN_PROGRESS: (10, 2 * DAY),
            S.PENDING: (60, 6 * DAY),
            S.RESOLVED: (10, self.auto_close_minutes - 60),
        }
        return self.now - timedelta(minutes=plan.length + self.minutes(*gaps[status]))

    @staticmethod
    def run(plan: Plan, start: datetime) -> None:
        recorder = Recorder()
        board: dict[str, Incident] = {}
        for offset, step in plan.steps:
            at = start + timedelta(minutes=offset)
            step(board, at)
            recorder.mark(at)
        recorder.backdate()


# Calls per hour of the day at a hospital service desk (busy mornings, quiet nights).
HOURLY_CALLS = (1, 1, 1, 1, 1, 1, 2, 4, 10, 12, 11, 8, 4, 6, 9, 9, 7, 5, 3, 3, 2, 2, 1, 1)


def load_incidents(now: datetime) -> int:
    """Tell every story; returns how many incidents were created."""
    rng = random.Random(SEED)
    teller = Storyteller(Cast(), now, rng)
    statuses = [status for status, count in STATUS_COUNTS for _ in range(count)]
    rng.shuffle(statuses)
    stories: list[tuple[datetime, Plan]] = []
    for status in statuses:
        plan = teller.story(teller.pick_fault(status), status)
        stories.append((teller.start_of(plan, status), plan))
    outage_start = timezone.localtime(now - timedelta(days=37)).replace(hour=9, minute=41)
    stories.append((outage_start, teller.outage()))
    # Told in the order they started, so incident numbers grow with the report time.
    stories.sort(key=lambda story: story[0])
    before = Incident.objects.count()
    for start, plan in stories:
        teller.run(plan, start)
    return Incident.objects.count() - before
