"""The concurrency tests' shared database: the test hospital (BaseTestCase's personas) and
one incident, committed and published for other processes (see harness.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "concurrency: real processes on a shared database (make concurrency)"
    )


def api_key(hospital: Any, user: Any) -> str:
    """An API token's key for the user, made as BaseTestCase makes them."""
    keys: dict[int, str] | None = getattr(hospital, "api_keys", None)
    if keys is not None and user.pk in keys:
        return keys[user.pk]
    try:
        from itsm.accounts.tokens import make_token
    except ImportError:
        from rest_framework.authtoken.models import Token

        return str(Token.objects.get_or_create(user=user)[0].key)
    return make_token(user, name="concurrency")[1]


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder of our own for the SQLite copy and the server's log: not pytest's
    tmp_path, whose old folders another pytest run on the machine may delete under us."""
    folder = Path(tempfile.mkdtemp(prefix="itsm-concurrency-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared(transactional_db: None, scratch: Path) -> SimpleNamespace:
    """The hospital and an incident logged by the service desk, with the URL other
    processes open the database by, and the agent's API key."""
    from itsm.core.testing import BaseTestCase
    from itsm.incidents.services import log_incident

    hospital = SimpleNamespace()
    BaseTestCase.setUpTestData.__func__(hospital)  # type: ignore[attr-defined]
    hospital.incident = log_incident(
        {"title": "急诊分诊台条码打印机不出纸", "description": "并发测试:"}, actor=hospital.agent
    )
    hospital.agent_key = api_key(hospital, hospital.agent)
    hospital.folder = scratch
    from tests.concurrency.harness import publish

    hospital.url = publish(scratch)
    return hospital
