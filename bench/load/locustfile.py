"""Mixed desk traffic for locust (issue 7, item 15), run only by locust's own CLI
(`python -m bench.load.run` starts it): locust monkey-patches the standard library when
imported, so nothing else imports this file.

The mix: 60 % reads (filtered lists, incident details, search), 25 % writes to an incident
(a reply, an edit with its `version`), 15 % new incidents. Every simulated agent edits only
incidents it logged itself, so no two users ever edit the same incident and a 409 is a
real error, as is any other response than the one expected.

Each agent starts a task at the moments of a Poisson process of one task per
ITSM_LOAD_PACING seconds (an open loop: a slow answer does not slow the offered rate), so
the agents together send a Poisson stream, as independent people at their desks do.
Locust's `constant_pacing` is not used: it keeps every user on the phase of the tick that
spawned it, and the users of a run then fired within the same two milliseconds of every
second (measured: thirty requests in 2 ms, then nothing for 0.9 s), a burst no desk sends.

Settings come from the environment, written by run.py: ITSM_LOAD_TOKENS (API tokens of
desk agents, comma-separated), ITSM_LOAD_INCIDENTS (the highest incident id of the
generated data), ITSM_LOAD_GROUP, ITSM_LOAD_REQUESTER, ITSM_LOAD_SERVICE (ids)."""

from __future__ import annotations

import itertools
import os
import random
import time
from typing import Any

from locust import HttpUser, task

TOKENS = [t for t in os.environ.get("ITSM_LOAD_TOKENS", "").split(",") if t]
INCIDENTS = int(os.environ.get("ITSM_LOAD_INCIDENTS", "1"))
GROUP = int(os.environ.get("ITSM_LOAD_GROUP", "0"))
REQUESTER = int(os.environ.get("ITSM_LOAD_REQUESTER", "0"))
SERVICE = int(os.environ.get("ITSM_LOAD_SERVICE", "0"))
PACING = float(os.environ.get("ITSM_LOAD_PACING", "1.0"))
WORDS = ("打印机", "HIS", "PACS", "网络", "腕带", "医保", "登录", "扫码枪")
FILTERS = (
    "?status=assigned&priority=2",
    "?assignment_group=%d&open=true" % GROUP,
    "?open=true&ordering=-created_at",
    "?priority=1",
)
users = itertools.count()


class DeskAgent(HttpUser):
    """A service desk agent on the API, one task a second on average (ITSM_LOAD_PACING)."""

    def wait_time(self) -> float:
        """Until the next moment of this agent's Poisson process (none if it is past)."""
        self.next_start += self.rng.expovariate(1 / PACING)
        return max(0.0, self.next_start - time.monotonic())

    def on_start(self) -> None:
        index = next(users)
        self.client.headers.update(
            {
                "Authorization": "Token " + TOKENS[index % len(TOKENS)],
                "Accept-Language": "zh-hans",
            }
        )
        self.rng = random.Random(index)
        self.next_start = time.monotonic()
        self.mine: dict[int, int] = {}  # incident id -> the version last read
        self.create()

    # Reads: 60 %

    @task(20)
    def list_incidents(self) -> None:
        query = self.rng.choice(FILTERS)
        self.client.get("/api/incidents/" + query, name="/api/incidents/?filter")

    @task(25)
    def read_incident(self) -> None:
        pk = self.rng.randint(1, INCIDENTS)
        with self.client.get(
            "/api/incidents/%d/" % pk, name="/api/incidents/<id>/", catch_response=True
        ) as response:
            if response.status_code == 404:
                response.success()  # an id the generator skipped: a valid answer

    @task(15)
    def search(self) -> None:
        word = self.rng.choice(WORDS)
        if self.rng.random() < 0.5:
            self.client.get("/api/search/?q=%s" % word, name="/api/search/?q=")
        else:
            self.client.get("/api/incidents/?q=%s" % word, name="/api/incidents/?q=")

    # Writes to an incident of one's own: 25 %

    @task(12)
    def reply(self) -> None:
        pk = self.rng.choice(list(self.mine))
        self.client.post(
            "/api/incidents/%d/comments/" % pk,
            json={"body": "已电话联系科室，正在处理。", "internal": self.rng.random() < 0.5},
            name="/api/incidents/<id>/comments/",
        )

    @task(13)
    def edit(self) -> None:
        pk = self.rng.choice(list(self.mine))
        with self.client.patch(
            "/api/incidents/%d/" % pk,
            json={"version": self.mine[pk], "description": "补充：%d" % self.rng.randint(1, 10**6)},
            name="/api/incidents/<id>/ PATCH",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.mine[pk] = response.json()["version"]
            else:
                response.failure("HTTP %d: %s" % (response.status_code, response.text[:200]))

    # New incidents: 15 %

    @task(15)
    def create(self) -> None:
        body: dict[str, Any] = {
            "title": "急诊分诊台条码打印机不出纸",
            "description": "分诊台打印腕带时无反应，已重新装纸。",
            "impact": 3,
            "urgency": 3,
            "channel": "phone",
            "requester": REQUESTER,
            "service": SERVICE,
            "assignment_group": GROUP,
        }
        with self.client.post(
            "/api/incidents/", json=body, name="/api/incidents/ POST", catch_response=True
        ) as response:
            if response.status_code == 201:
                created = response.json()
                self.mine[created["id"]] = created["version"]
            else:
                response.failure("HTTP %d: %s" % (response.status_code, response.text[:200]))
