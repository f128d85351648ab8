"""zh-hans is the default language: every message of every catalogue has its translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("yingshang/**/locale/zh_Hans/LC_MESSAGES/django.po"))
ENTRY = re.compile(
    r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?((?:msgstr(?:\[\d\])? (?:".*"\n?)+)+)', re.M
)


def entries(path: Path) -> list[tuple[str, str, bool]]:
    text = path.read_text(encoding="utf-8")
    out = []
    for block in text.split("\n\n"):
        match = ENTRY.search(block + "\n")
        if not match:
            continue
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
        out.append((msgid, msgstr, "#, fuzzy" in block))
    return out


def test_every_installed_context_has_a_catalogue() -> None:
    apps = {p.parts[-5] for p in CATALOGUES}
    assert {
        "kernel",
        "identity",
        "files",
        "notifications",
        "ops",
        "web",
        "demo",
        "ledger",
        "projects",
        "documents",
    } <= apps


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: p.parts[-5])
def test_catalogue_is_complete_and_not_fuzzy(catalogue: Path) -> None:
    problems = [
        f"{'fuzzy' if fuzzy else 'untranslated'}: {msgid!r}"
        for msgid, msgstr, fuzzy in entries(catalogue)
        if msgid and (fuzzy or not msgstr)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_language_switch_sets_the_cookie_and_keeps_the_page(client: Client) -> None:
    assert "营商环境综合服务平台" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Yingshang business environment platform" in page


@pytest.mark.django_db
def test_accept_language_english_is_honoured(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page


@pytest.mark.django_db
def test_unknown_page_is_a_translated_404(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
