"""Search at scale: 100,000 knowledge articles and 1,000,000 incidents with their search
documents, `search()` timed in-process for realistic queries and the suggestions endpoint
timed end to end over HTTP. Targets (issue 5, item 12): search p95 ≤ 50 ms, suggestions
p95 ≤ 100 ms, on SQLite and on PostgreSQL.

    python -m bench.search                                    # var/bench-search.sqlite3
    python -m bench.search --database-url postgres://postgres@127.0.0.1:5432/bench_search
    python -m bench.search --incidents 100000 --articles 10000   # a quick look

The data lives in a database of its own (never the application's, never another bench's;
on PostgreSQL the database is created when missing). Incidents come from the main bench's
generator (`bench.generate`: the demo's fault templates, statuses and times) without their
timelines, which search never reads. Articles are synthetic hospital-IT knowledge made from
word lists. Both are written in bulk with their SearchDocument rows, tokens cut by
`itsm.core.search.index_tokens` exactly as `index_document` would."""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from functools import cache
from urllib.parse import quote, urlparse

from bench.__main__ import PROJECT, check_database_url, load_average, say

DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "bench-search.sqlite3")
META_TABLE = "bench_search_meta"
VERSION = "1"
BATCH = 5000

# ----------------------------------------------------------------------------------------
# Word lists for the articles

SYSTEMS = (
    ("HIS", "HIS"),
    ("EMR", "EMR"),
    ("PACS", "PACS"),
    ("LIS", "LIS"),
    ("RIS", "HIS"),
    ("医保结算", "HIS"),
    ("门诊挂号", "HIS"),
    ("住院收费", "HIS"),
    ("护士站", "HIS"),
    ("医生工作站", "EMR"),
    ("电子病历", "EMR"),
    ("影像调阅", "PACS"),
    ("检验报告", "LIS"),
    ("自助机", "HIS"),
    ("OA", ""),
    ("VPN", ""),
    ("Wi-Fi", ""),
    ("邮箱", ""),
)
DEVICES = (
    "打印机",
    "条码打印机",
    "腕带打印机",
    "扫码枪",
    "读卡器",
    "医保读卡器",
    "电脑",
    "显示器",
    "键盘",
    "交换机",
    "无线AP",
    "PDA",
    "叫号屏",
    "高拍仪",
)
SYMPTOMS = (
    "无法登录",
    "打开很慢",
    "报错",
    "卡纸",
    "蓝屏",
    "闪退",
    "白屏",
    "连接超时",
    "打印乱码",
    "无法打印",
    "结算失败",
    "数据不同步",
    "图像无法显示",
    "提示密码错误",
    "网络中断",
    "无法识别",
    "响应缓慢",
    "报表导出失败",
)
PLACES = (
    "门诊",
    "住院部",
    "急诊",
    "收费处",
    "药房",
    "检验科",
    "放射科",
    "手术室",
    "ICU",
    "心内科",
    "儿科",
    "体检中心",
)
CODES = (
    "0x0000007B",
    "0x000000D1",
    "MEMORY_MANAGEMENT",
    "ORA-12541",
    "ORA-01017",
    "HTTP 500",
    "HTTP 502",
    "Win10",
    "Win7",
    "Chrome",
    "IE11",
    ".NET Framework",
    "TLS 1.2",
    "DNS",
    "DHCP",
)
CAUSES = (
    "客户端版本过旧，与服务器接口不一致",
    "网络交换机端口故障导致丢包",
    "数据库连接池耗尽",
    "打印机驱动损坏或版本不匹配",
    "证书过期，浏览器拒绝连接",
    "磁盘空间不足，临时文件无法写入",
    "医保前置机服务停止",
    "用户账号被锁定",
    "内存条故障",
    "系统补丁更新后注册表被修改",
    "无线信号弱，终端频繁漫游",
    "中间件服务内存溢出",
)
STEPS = (
    "重启客户端并清理本地缓存",
    "在控制面板中卸载旧驱动，重新安装厂商最新驱动",
    "检查网线和交换机端口指示灯，必要时更换端口",
    "联系系统组重启应用服务器上的中间件服务",
    "在域控上解锁用户账号并重置密码",
    "更新浏览器证书，将系统地址加入受信任站点",
    "清理 C 盘临时文件，保留至少 5 GB 空间",
    "检查医保前置机服务状态，重启医保接口服务",
    "运行内存诊断工具，确认故障后联系厂商更换",
    "用 ping 和 tracert 检查到服务器的网络连通性",
    "核对客户端版本号，从升级服务器下载最新版本",
    "检查打印机纸张规格与驱动中设置是否一致",
)
TEMPLATES = (
    "{place}{system}{symptom}的处理方法",
    "{system}{device}{symptom}怎么办",
    "{device}{symptom}（{code}）排查步骤",
    "{system}提示 {code} 的解决办法",
    "{place}{device}{symptom}",
    "如何处理{system}{symptom}",
)

# What an IT engineer types in the search box: codes, systems and symptoms, mixed.
QUERIES = (
    "HIS 挂号 打印机 卡纸",
    "PACS 影像 无法 调阅",
    "Win10 蓝屏 0x0000007B",
    "VPN 连接 失败",
    "医保 结算 超时",
    "ORA-12541",
    "LIS 检验报告 打印",
    "EMR 病历 保存 失败",
    "护士站 电脑 很慢",
    "腕带打印机 打印 乱码",
    "自助机 读卡器 无法识别",
    "Wi-Fi PDA 掉线",
    "Chrome 证书 过期",
    "HTTP 500 HIS",
    "打印机驱动",
    "交换机 端口",
    "扫码枪",
    "密码错误 锁定",
    "门诊 叫号屏 黑屏",
    "MEMORY_MANAGEMENT",
)


@cache
def tokens_of(text: str) -> str:
    from itsm.core.search import index_tokens

    return " ".join(index_tokens(text))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.search")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("ITSM_BENCH_SEARCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--queries", type=int, default=200, help="timed searches")
    parser.add_argument("--requests", type=int, default=200, help="timed suggestion requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--seconds", type=float, default=90, help="time limit per measurement (default 90)"
    )
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--diagnose", action="store_true", help="EXPLAIN the candidate query of the slowest"
    )
    return parser.parse_args(argv)


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE for a PostgreSQL bench URL whose database does not exist yet."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            say("Creating database %s …" % name)
            connection.execute('CREATE DATABASE "%s"' % name.replace('"', ""))


# ----------------------------------------------------------------------------------------
# Generation


def article_text(rng: random.Random) -> tuple[str, str, str, str, str]:
    """(system, title, keywords, body, service code) of one synthetic article."""
    system, service = rng.choice(SYSTEMS)
    words = {
        "system": system,
        "device": rng.choice(DEVICES),
        "symptom": rng.choice(SYMPTOMS),
        "place": rng.choice(PLACES),
        "code": rng.choice(CODES),
    }
    title = rng.choice(TEMPLATES).format(**words)
    keywords = " ".join(rng.sample([*words.values(), rng.choice(CODES)], 4))
    steps = rng.sample(STEPS, rng.randint(3, 6))
    body = "\n\n".join(
        (
            "## 现象\n\n%s的%s在使用%s时%s，界面提示 %s。"
            % (
                words["place"],
                rng.choice(("护士", "医生", "收费员", "药师")),
                system,
                words["symptom"],
                words["code"],
            ),
            "## 原因\n\n%s。" % rng.choice(CAUSES),
            "## 处理步骤\n\n%s"
            % "\n".join("%d. %s。" % (n, step) for n, step in enumerate(steps, start=1)),
            "## 适用范围\n\n%s %s，%s。"
            % (system, rng.choice(CODES), "、".join(rng.sample(PLACES, 3))),
        )
    )
    return system, title, keywords, body, service


def generate(n_articles: int, n_incidents: int, seed: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.generate import (
        Generator,
        Table,
        analyze,
        fast_writes,
        load_organisation,
        reset_database,
    )
    from itsm.accounts.models import User
    from itsm.core.choices import SearchKind, SearchVisibility
    from itsm.core.models import NumberSequence, SearchDocument
    from itsm.core.search import category_path, index_tokens
    from itsm.incidents.choices import OPEN_STATUSES
    from itsm.incidents.models import Incident
    from itsm.knowledge.choices import ArticleAudience, ArticleStatus
    from itsm.knowledge.models import Article, Category

    if connection.introspection.table_names():
        if META_TABLE not in connection.introspection.table_names():
            raise SystemExit("This database holds data the bench did not generate.")
        reset_database()
    call_command("migrate", verbosity=0, interactive=False)
    write_meta({"state": "generating"})
    fast_writes()
    rng = random.Random(seed)
    now = timezone.now()
    organisation = load_organisation(random.Random(seed))
    services = organisation.services

    # Articles: published, a third of them for everyone, written over five years.
    started = time.monotonic()
    authors = list(User.objects.filter(username__startswith="eng").values_list("pk", flat=True))
    categories = {system: Category.objects.create(name=system).pk for system, _ in SYSTEMS}
    article_type = ContentType.objects.get_for_model(Article).pk
    articles, documents = Table(Article), Table(SearchDocument)
    links = Table(Article.services.through)
    for first in range(1, n_articles + 1, BATCH):
        for pk in range(first, min(n_articles, first + BATCH - 1) + 1):
            system, title, keywords, body, service = article_text(rng)
            public = rng.random() < 0.35
            updated = now - timedelta(days=5 * 365 * (1 - pk / (n_articles + 1)) ** 2)
            helpful = int(rng.paretovariate(1.5)) - 1
            articles.add(
                {
                    "title": title,
                    "body": body,
                    "category_id": categories[system],
                    "keywords": keywords,
                    "audience": str(ArticleAudience.PUBLIC if public else ArticleAudience.INTERNAL),
                    "status": str(ArticleStatus.PUBLISHED),
                    "author_id": rng.choice(authors),
                    "review_note": "",
                    "published_at": updated,
                    "helpful_count": helpful,
                    "view_count": helpful * 10,
                    "created_at": updated - timedelta(days=rng.randint(0, 30)),
                    "updated_at": updated,
                }
            )
            service_id = services.get(service)
            if service_id is not None:
                links.add({"article_id": pk, "service_id": service_id})
            documents.add(
                {
                    "content_type_id": article_type,
                    "object_id": pk,
                    "kind": str(SearchKind.ARTICLE),
                    "title": title,
                    "body": "%s\n%s" % (keywords, body),
                    "tokens": " ".join(index_tokens("%s\n%s\n%s" % (title, keywords, body))),
                    "visibility": str(
                        SearchVisibility.PUBLIC if public else SearchVisibility.INTERNAL
                    ),
                    "service_ids": ",%d," % service_id if service_id is not None else "",
                    "category": category_path(system),
                    "helpful": helpful,
                    "updated_at": updated,
                }
            )
        with transaction.atomic():
            articles.flush()
            links.flush()
            documents.flush()
    highest = Article.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert highest == n_articles, "articles must be numbered 1..N in a fresh database"
    say("  %d articles in %.0f s" % (n_articles, time.monotonic() - started))

    # Incidents: the main bench's generator, without the timelines' rows.
    started = time.monotonic()
    generator = Generator(n_incidents, organisation, now, seed)
    incident_type = ContentType.objects.get_for_model(Incident).pk
    table = generator.tables["incidents"]
    names = {name: index for index, name in enumerate(table.names)}
    for first in range(1, n_incidents + 1, BATCH):
        for pk in range(first, min(n_incidents, first + BATCH - 1) + 1):
            generator.incident(pk)
        for row in table.rows:
            value = row.__getitem__
            title, description = value(names["title"]), value(names["description"])
            notes = value(names["resolution_notes"])
            body = "\n".join(text for text in (description, notes) if text)
            documents.add(
                {
                    "content_type_id": incident_type,
                    "object_id": value(names["id"]),
                    "kind": str(SearchKind.INCIDENT),
                    "title": "%s %s" % (value(names["number"]), title),
                    "body": body,
                    "tokens": "%s %s"
                    % (value(names["number"]).lower(), tokens_of("%s\n%s" % (title, body))),
                    "visibility": str(SearchVisibility.INTERNAL),
                    "service_ids": ",%d," % value(names["service_id"]),
                    "helpful": 0,
                    "open": value(names["status"]) in OPEN_STATUSES,
                    "updated_at": value(names["updated_at"]),
                }
            )
        for name, other in generator.tables.items():
            if name != "incidents":
                other.rows = []
        with transaction.atomic():
            table.flush()
            documents.flush()
        if (first // BATCH) % 20 == 19:
            say(
                "  %9d incidents (%.0f/s)"
                % (first + BATCH - 1, (first + BATCH - 1) / (time.monotonic() - started))
            )
    NumberSequence.objects.update_or_create(
        prefix=Incident.NUMBER_PREFIX, defaults={"last": n_incidents}
    )
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Incident]):
                cursor.execute(sql)
    say("  %d incidents in %.0f s" % (n_incidents, time.monotonic() - started))
    started = time.monotonic()
    analyze()
    say(
        "  %s in %.0f s"
        % (
            "VACUUM (ANALYZE)" if connection.vendor != "sqlite" else "ANALYZE",
            time.monotonic() - started,
        )
    )


def meta() -> dict[str, str]:
    from bench.generate import read_meta

    return read_meta(META_TABLE) or {}


def write_meta(values: dict[str, str]) -> None:
    from bench import generate

    generate.write_meta(values, META_TABLE)


# ----------------------------------------------------------------------------------------
# Measuring


def queries(rng: random.Random, n: int, n_incidents: int) -> list[str]:
    """n search box queries: the fixed list, the demo's fault titles cut into a few
    words, systems with symptoms, and now and then a ticket number."""
    from itsm.demo.faults import FAULTS

    out = list(QUERIES)
    while len(out) < n:
        draw = rng.random()
        if draw < 0.4:
            fault = rng.choice(FAULTS)
            words = [w for w in tokens_of(fault.title.format(dept="")).split() if len(w) > 1]
            out.append(" ".join(rng.sample(words, min(len(words), rng.randint(1, 3)))))
        elif draw < 0.8:
            system = rng.choice(SYSTEMS)[0]
            out.append("%s %s" % (system, rng.choice((*SYMPTOMS, *DEVICES))))
        elif draw < 0.95:
            out.append("%s %s" % (rng.choice(CODES), rng.choice(SYMPTOMS)))
        else:
            out.append("INC%07d" % rng.randint(1, n_incidents))
    return out[:n]


def titles(rng: random.Random, n: int) -> list[str]:
    """What an agent types as a new call's title: the faults as the demo words them."""
    from itsm.accounts.models import Department
    from itsm.demo.faults import FAULTS

    departments = list(Department.objects.values_list("name", flat=True))
    return [rng.choice(FAULTS).title.format(dept=rng.choice(departments))[:100] for _ in range(n)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(label: str, seconds: list[float], target: float) -> str:
    p95 = 1000 * percentile(seconds, 0.95)
    return "%-44s n=%d  p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms  (target p95 ≤ %d ms: %s)" % (
        label,
        len(seconds),
        1000 * statistics.median(seconds),
        p95,
        1000 * max(seconds),
        target,
        "ok" if p95 <= target else "MISSED",
    )


def time_search(args: argparse.Namespace) -> list[tuple[float, str, int]]:
    from itsm.accounts.models import User
    from itsm.core.search import search

    user = User.objects.get(username="eng1")
    sample = queries(random.Random(args.seed), args.queries, args.incidents)
    for query in sample[:5]:  # warm: pages, caches, code paths
        search(query, user=user)
    timed: list[tuple[float, str, int]] = []
    deadline = time.monotonic() + args.seconds
    for query in sample:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        page = search(query, user=user)
        timed.append((time.perf_counter() - started, query, page.total))
    return timed


def time_suggestions(args: argparse.Namespace, password: str) -> list[tuple[float, str, int]]:
    from bench.client import Client, Server

    sample = titles(random.Random(args.seed + 1), args.requests)
    server = Server(args.database_url, args.workers, PROJECT / "var" / "bench-server.log")
    timed = []
    try:
        say("Starting itsm serve on 127.0.0.1:%d …" % server.port)
        server.wait_ready()
        client = Client(server.port)
        client.sign_in("desk1", password)
        for title in sample[:5]:
            client.get("/search/suggest/?title=" + quote(title))
        deadline = time.monotonic() + args.seconds
        for title in sample:
            if time.monotonic() > deadline:
                break
            response = client.get("/search/suggest/?title=" + quote(title))
            if response.status != 200:
                raise SystemExit("GET /search/suggest/ answered HTTP %d" % response.status)
            timed.append((response.seconds, title, len(response.body)))
        client.close()
    finally:
        server.stop()
    return timed


def diagnose(query: str) -> None:
    """The candidate query of one search, with its plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.__main__ import explain
    from itsm.accounts.models import User
    from itsm.core.search import search

    user = User.objects.get(username="eng1")
    with CaptureQueriesContext(connection) as captured:
        search(query, user=user)
    for query_log in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:2]:
        say("    %.1f ms  %s" % (1000 * float(query_log["time"]), query_log["sql"][:400]))
        explain(connection, query_log["sql"])


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_database_url(args.database_url)
    ensure_postgres_database(args.database_url)
    os.environ["ITSM_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.__main__ import describe_engine
    from itsm.core.models import SearchDocument

    engine = describe_engine(connection)
    say("Search bench: %s (%s)" % (args.database_url, engine))
    wanted = {
        "state": "complete",
        "articles": str(args.articles),
        "incidents": str(args.incidents),
        "seed": str(args.seed),
        "version": VERSION,
    }
    if args.regenerate or meta() != wanted:
        say("Generating %d articles and %d incidents …" % (args.articles, args.incidents))
        started = time.monotonic()
        generate(args.articles, args.incidents, args.seed)
        say("  generated in %.0f s" % (time.monotonic() - started))
        write_meta(wanted)
    else:
        call_command("migrate", verbosity=0, interactive=False)
    say("%d search documents" % SearchDocument.objects.count())
    if args.generate_only:
        return
    load_before = load_average()
    searched = time_search(args)
    connection.close()
    suggested = time_suggestions(args, settings.ITSM_DEMO_PASSWORD)
    say("")
    say(
        "Search bench: %d articles, %d incidents, %s, %d CPUs; load %s → %s"
        % (args.articles, args.incidents, engine, os.cpu_count() or 0, load_before, load_average())
    )
    say(summary("search() as eng1, %d queries" % len(searched), [t for t, _, _ in searched], 50))
    say(summary("GET /search/suggest/ as desk1 (HTTP)", [t for t, _, _ in suggested], 100))
    say("Slowest searches:")
    for took, query, total in sorted(searched, reverse=True)[:5]:
        say("  %6.1f ms  %-30s %d hits" % (1000 * took, query, total))
    say("Slowest suggestions:")
    for took, title, _size in sorted(suggested, reverse=True)[:3]:
        say("  %6.1f ms  %s" % (1000 * took, title))
    if args.diagnose:
        say("Plan of the slowest search:")
        diagnose(max(searched)[1])


if __name__ == "__main__":
    main(sys.argv[1:])
