from __future__ import annotations

from yingshang.identity.testing import make_user
from yingshang.trading.experts import facade
from yingshang.trading.experts.models import Expert


def test_demo_pool_is_idempotent_and_links_the_demo_experts(db) -> None:
    users = [make_user(f"expert{i}", roles=["expert"]) for i in range(1, 6)]
    codes = facade.ensure_demo_pool()
    assert len(codes) == 36 and len(set(codes)) == 36
    assert facade.ensure_demo_pool() == codes
    assert Expert.objects.count() == 36
    linked = facade.expert_codes([u.username for u in users])
    assert len(linked) == 5
    assert Expert.objects.filter(blacklisted=True).count() == 1
    assert Expert.objects.exclude(source="").count() == 6
