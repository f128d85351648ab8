"""Public notice list benchmark (not part of the test run): ``.venv/bin/python bench/notices.py``.

Issue 4's target: the public notice list serves 100,000 projects with p95 under 200 ms for a
filtered page. For SQLite (a temporary file) and PostgreSQL (a temporary database), each in a
fresh process:

1. ``PROJECTS`` projects with one tender each are bulk inserted (believable titles, kinds,
   methods, regimes and statuses; published over three years), then the tables are analysed;
2. the public notice page (``/trading/notices/``, the whole stack: URL routing, the selector,
   the paginator's count, template rendering) and the public API (``/api/v1/trading/notices``)
   are requested through Django's test client with a rotation of filters (a resource kind, a
   regime and method, a status, open only, a title search, a deep page, and combinations);
3. the baseline, in the same run, is the unfiltered first page of the same list: the ratio says
   what filtering costs over the cheapest page.

Writes the "Public notice list" section of docs/benchmarks.md. Options: ``--projects``,
``--requests``, ``--no-write``, ``--no-postgres``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    load_note,
    machine,
    percentile,
    postgres_database,
    run_worker,
    setup_django,
    write_section,
)

PROJECTS = 100_000
REQUESTS = 300
CHUNK = 5000

DISTRICTS = ["城关区", "七里河区", "西固区", "安宁区", "红古区", "永登县", "皋兰县", "榆中县", "金城新区"]
OBJECTS = [
    "第三中学",
    "人民医院",
    "黄河大桥",
    "环城北路",
    "污水处理厂",
    "智慧交通",
    "供热管网",
    "保障性住房",
    "体育中心",
    "市图书馆",
    "农田水利",
    "老旧小区",
]
WORKS = ["新建工程", "改造工程", "设备采购", "物业服务", "监理服务", "设计服务", "维修工程", "信息化建设"]

#: (label, query string) pairs the filtered requests rotate through.
FILTERS = [
    ("resource kind", "resource_kind=construction"),
    ("regime and method", "regime=procurement&method=consultation"),
    ("status", "status=bid_deadline_passed"),
    ("open for bids", "open_only=1"),
    ("title search", "q=%E6%B1%A1%E6%B0%B4"),  # 污水
    ("search and kind", "q=%E5%8C%BB%E9%99%A2&resource_kind=government_procurement"),  # 医院
    ("deep page", "resource_kind=construction&page=40"),
]


def _fill(count: int) -> float:
    """Bulk insert ``count`` projects with one tender each; return the seconds it took."""
    from django.db import connection, transaction

    from yingshang.identity.testing import make_organisation, make_user
    from yingshang.trading.projects import reference, states
    from yingshang.trading.projects.models import Project, Tender

    began = time.perf_counter()
    with transaction.atomic():
        tenderer = make_organisation("enterprise", name="金城市城市建设投资集团有限公司")
        signer = make_user(roles=["tenderer"], organisation=tenderer)
    chooser = random.Random(4)
    kinds, methods = list(reference.RESOURCE_KINDS), list(reference.METHOD_RULES)
    regimes = list(reference.REGIMES)
    statuses = (
        [states.PUBLISHED] * 2
        + [states.BID_DEADLINE_PASSED] * 6
        + [
            states.SUSPENDED,
            states.CANCELLED,
            states.FAILED,
        ]
    )
    now = datetime.now(UTC)
    for start in range(0, count, CHUNK):
        projects, tenders = [], []
        for n in range(start, min(start + CHUNK, count)):
            published = now - timedelta(minutes=chooser.randrange(3 * 365 * 24 * 60))
            title = (
                f"{chooser.choice(DISTRICTS)}{chooser.choice(OBJECTS)}{chooser.choice(WORKS)}"
                f"（{n % 7 + 1}标段）"
            )
            kind, regime = chooser.choice(kinds), chooser.choice(regimes)
            status = chooser.choice(statuses)
            # open tenders close in the coming month; the others closed three weeks after publication
            if status == states.PUBLISHED:
                deadline = now + timedelta(days=chooser.randrange(1, 30))
            else:
                deadline = published + timedelta(days=21)
            projects.append(
                Project(
                    code=f"JC-{published:%Y}-{n:06d}",
                    name=title,
                    resource_kind=kind,
                    regime=regime,
                    tenderer=tenderer,
                    commitment_text="本单位承诺所提交材料真实有效。",
                    commitment_signed_by=signer,
                    commitment_signed_at=published,
                    intake_status=states.ACCEPTED,
                    submitted_at=published - timedelta(days=3),
                )
            )
            tenders.append(
                (
                    n,
                    dict(
                        sequence=1,
                        ocid=f"ocds-yshang-JC{n:07d}",
                        method=chooser.choice(methods),
                        resource_kind=kind,
                        regime=regime,
                        status=status,
                        title=title,
                        documents_from=published,
                        documents_until=published + timedelta(days=5),
                        questions_until=deadline - timedelta(days=15),
                        bid_deadline=deadline,
                        published_at=published,
                    ),
                )
            )
        with transaction.atomic():
            created = Project.objects.bulk_create(projects)
            Tender.objects.bulk_create(
                [Tender(project=created[i % CHUNK], **fields) for i, (_n, fields) in enumerate(tenders)]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


def _timed(client: Any, paths: list[str], repeats: int) -> list[float]:
    times = []
    for i in range(repeats):
        path = paths[i % len(paths)]
        began = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return times


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(times, 0.5) * 1000,
        "p95_ms": percentile(times, 0.95) * 1000,
        "max_ms": max(times) * 1000,
    }


def worker(projects: int, requests: int) -> dict[str, Any]:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    out: dict[str, Any] = {"vendor": connection.vendor, "projects": projects}
    out["fill_seconds"] = _fill(projects)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    surfaces = {"page": "/trading/notices/", "api": "/api/v1/trading/notices"}
    for surface, base in surfaces.items():
        separator = "?" if surface == "page" else "?limit=20&"
        filtered = [f"{base}{separator}{query}" for _label, query in FILTERS]
        _timed(client, [base, *filtered], 2 * (len(FILTERS) + 1))  # warm-up
        baseline = _timed(client, [base], requests)
        times = _timed(client, filtered, requests)
        per_filter = {
            label: _summary(_timed(client, [path], max(10, requests // 10)))
            for (label, _q), path in zip(FILTERS, filtered, strict=True)
        }
        out[surface] = {
            "baseline": _summary(baseline),
            "filtered": _summary(times),
            "per_filter": per_filter,
        }
    return out


def _verdict(results: list[dict[str, Any]]) -> str:
    notes = []
    for r in results:
        for surface in ("page", "api"):
            p95 = r[surface]["filtered"]["p95_ms"]
            notes.append(
                f"{r['vendor']} {surface} filtered p95 {p95:.0f} ms "
                f"{'meets' if p95 < 200 else 'MISSES'} the 200 ms target"
            )
    return "**Targets in this run:** " + "; ".join(notes) + "."


def _section(results: list[dict[str, Any]], load: tuple[float, float]) -> str:
    lines = [
        "## Public notice list",
        "",
        f"Run `{Path(__file__).relative_to(ROOT)}` on {datetime.now(UTC):%Y-%m-%d} ({machine()}); "
        f"{load_note(load)}.",
        "",
        "| database | projects | surface | unfiltered first page p95 (baseline) | filtered page p50 | "
        "filtered page p95 (target < 200 ms) | filtered / baseline (p95) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for surface in ("page", "api"):
            base, filt = r[surface]["baseline"], r[surface]["filtered"]
            lines.append(
                f"| {r['vendor']} | {r['projects']:,} | {surface} | {base['p95_ms']:.1f} ms | "
                f"{filt['p50_ms']:.1f} ms | **{filt['p95_ms']:.1f} ms** | "
                f"{filt['p95_ms'] / base['p95_ms']:.2f} |"
            )
    lines += ["", _verdict(results), "", "p95 by filter (page / API):", ""]
    lines += ["| database | filter | page p95 | API p95 |", "|---|---|---:|---:|"]
    for r in results:
        for label, _q in FILTERS:
            lines.append(
                f"| {r['vendor']} | {label} | {r['page']['per_filter'][label]['p95_ms']:.1f} ms | "
                f"{r['api']['per_filter'][label]['p95_ms']:.1f} ms |"
            )
    lines += [
        "",
        "Each request goes through the whole stack with Django's test client (routing, the "
        "public-notice selector, the paginator's count, the template or the API schema), "
        "in Chinese. The filtered requests rotate through the filters above; the baseline is the "
        "unfiltered first page in the same run. Data: one tender per project, published over "
        "three years, bulk inserted ("
        + ", ".join(f"{r['vendor']} {r['fill_seconds']:.0f} s" for r in results)
        + ").",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=PROJECTS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.projects, args.requests)))
        return
    size = ["--projects", str(args.projects), "--requests", str(args.requests)]
    results = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="notices-bench-") as tmp:
        var = Path(tmp) / "var"
        sqlite = {"YINGSHANG_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}"}
        results.append(run_worker(__file__, sqlite, size))
        print(json.dumps(results[-1], indent=1), flush=True)
        if not args.no_postgres:
            with postgres_database("notices_bench") as url:
                results.append(
                    run_worker(__file__, {"YINGSHANG_VAR_DIR": str(var), "DATABASE_URL": url}, size)
                )
            print(json.dumps(results[-1], indent=1), flush=True)
    section = _section(results, (load_before, os.getloadavg()[0]))
    print(section)
    if not args.no_write:
        write_section("## Public notice list", section)


if __name__ == "__main__":
    main()
