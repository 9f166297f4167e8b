"""Problems for tests, built through the service verbs."""

from __future__ import annotations

from typing import Any

from itsm.accounts.models import User
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.incidents.models import Incident
from itsm.problems.models import Problem
from itsm.problems.services import raise_problem


def problem(actor: User, *, incidents: list[Incident] | None = None, **fields: Any) -> Problem:
    data: dict[str, Any] = {
        "title": "急诊条码打印机反复卡纸",
        "impact": TicketImpact.MEDIUM,
        "urgency": TicketUrgency.MEDIUM,
        **fields,
    }
    return raise_problem(data, actor=actor, incidents=incidents or [])
