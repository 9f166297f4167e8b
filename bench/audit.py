"""The audit chain at scale: 1,000,000 unsealed audit entries written in bulk, then
`seal_audit()` (chaining them all) and `verify_audit()` (walking and rehashing the whole
chain) timed, with the auditors' page (newest first, by actor, one keyset page back) timed
over the same table. Not part of `make test`.

    python -m bench.audit                                    # var/bench-audit.sqlite3
    python -m bench.audit --entries 100000                   # a quick look
    python -m bench.audit --database-url postgres://postgres@127.0.0.1:5432/bench_audit

The data lives in a database of its own (never the application's); every run starts from
an empty audit log. Entries look like the product's: an update of one of a few thousand
records by one of a hundred people, with two or three field changes, a request id and an
address."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

from bench.__main__ import PROJECT, check_database_url, load_average, say
from bench.search import ensure_postgres_database

DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "bench-audit.sqlite3")
BATCH = 5000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("ITSM_BENCH_AUDIT_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def generate(count: int, seed: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from itsm.accounts.models import Department, User
    from itsm.core.models import AuditArchive, AuditEntry, AuditSeal

    AuditEntry.objects.all().delete()
    AuditSeal.objects.all().delete()
    AuditArchive.objects.all().delete()
    rng = random.Random(seed)
    users = [User.objects.get_or_create(username="bench-user-%03d" % i)[0].pk for i in range(100)]
    departments = [
        Department.objects.get_or_create(code="B%04d" % i, defaults={"name": "科室%04d" % i})[0].pk
        for i in range(2000)
    ]
    department_type = ContentType.objects.get_for_model(Department)
    start = timezone.now() - timedelta(days=150)
    step = timedelta(days=150) / count
    for first in range(0, count, BATCH):
        rows = []
        for index in range(first, min(count, first + BATCH)):
            rows.append(
                AuditEntry(
                    content_type=department_type,
                    object_id=rng.choice(departments),
                    actor_id=rng.choice(users),
                    action=rng.choice(("update", "update", "update", "create", "login")),
                    changes={
                        "phone": ["8%03d" % rng.randrange(1000), "8%03d" % rng.randrange(1000)],
                        "location": [
                            "门诊楼%d层" % rng.randrange(1, 9),
                            "住院楼%d层" % rng.randrange(1, 20),
                        ],
                    },
                    note="",
                    created_at=start + step * index,
                    request_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                    ip_address="10.%d.%d.%d"
                    % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)),
                )
            )
        with transaction.atomic():
            AuditEntry.objects.bulk_create(rows)


def time_page(view_queries: int) -> list[float]:
    """The auditors' page as the auditor: newest first, by one actor, then one page back."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import reverse

    from itsm.accounts.models import User

    auditor, _ = User.objects.get_or_create(
        username="bench-auditor", defaults={"is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(auditor)
    url = reverse("audit_log")
    # Rendered without `collectstatic`: static files by their plain names.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    setup_test_environment()  # the responses carry their template context
    with override_settings(STORAGES=storages):
        return _time_pages(client, url, view_queries)


def _time_pages(client: Any, url: str, view_queries: int) -> list[float]:
    timings = []
    for index in range(view_queries):
        params = {"actor": "bench-user-%03d" % (index % 100)} if index % 2 else {}
        started = time.perf_counter()
        response = client.get(url, params)
        if response.status_code == 200 and response.context["older_url"]:
            client.get(url + response.context["older_url"])
        timings.append(time.perf_counter() - started)
    return timings


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_database_url(args.database_url)
    ensure_postgres_database(args.database_url)
    os.environ["ITSM_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.__main__ import describe_engine
    from itsm.core.audit_chain import seal_audit, verify_audit

    call_command("migrate", verbosity=0, interactive=False)
    engine = describe_engine(connection)
    say("Audit bench: %s (%s), load %s" % (args.database_url, engine, load_average()))
    started = time.monotonic()
    generate(args.entries, args.seed)
    say("  %d entries written in %.0f s" % (args.entries, time.monotonic() - started))
    started = time.monotonic()
    sealed = seal_audit()
    seal_seconds = time.monotonic() - started
    say(
        "  seal_audit(): %d entries in %.1f s (%.0f entries/s)"
        % (sealed, seal_seconds, sealed / seal_seconds)
    )
    started = time.monotonic()
    result = verify_audit()
    verify_seconds = time.monotonic() - started
    say(
        "  verify_audit(): %d entries in %.1f s (%.0f entries/s), %s"
        % (
            result.checked,
            verify_seconds,
            result.checked / verify_seconds,
            "intact" if result.broken is None else "BROKEN: %s" % result.broken,
        )
    )
    timings = time_page(20)
    say(
        "  audit log page (first page + one older page): median %.0f ms, max %.0f ms"
        % (1000 * statistics.median(timings), 1000 * max(timings))
    )
    say("  load after: %s" % load_average())


if __name__ == "__main__":
    main(sys.argv[1:])
