"""API (problem documents), pages and the permission matrix: who sees names, who may act."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client

from yingshang.identity import facade as identity
from yingshang.identity.testing import make_user, sign_in
from yingshang.kernel import clock
from yingshang.kernel.policy import Principal
from yingshang.trading.experts import permissions, selectors, services, states, testing
from yingshang.trading.experts.models import Expert, Seat

API = "/api/v1/trading/experts"


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        sign_in(client, user)
    return client


def test_api_errors_are_problem_documents(setting) -> None:
    staff = client_for(setting.cast.staff_user)
    url = f"{API}/tenders/{setting.tender.pk}/lots/{setting.lot_id}"
    # T9: four experts
    bad = staff.put(
        f"{url}/need",
        {
            "rows": [{"specialty": "A01", "count": 4}],
            "evaluation_at": (clock.now() + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["code"] == "committee_rule"
    # unknown field, unknown expert, no committee, not allowed, not signed in
    assert staff.put(f"{url}/need", {"rows": [], "x": 1}, content_type="application/json").status_code in (
        400,
        422,
    )
    missing = staff.post(f"{API}/pool/EX-NOPE00/review", {"approve": True}, content_type="application/json")
    assert missing.status_code == 404 and missing.json()["code"] == "no_expert"
    assert staff.get(f"{url}/committee").json()["code"] == "no_committee"
    bidder = client_for(setting.cast.bidder_user)
    assert bidder.get(f"{API}/pool").status_code == 403
    assert Client().get(f"{API}/pool").status_code == 401
    # too few eligible experts
    ok = staff.put(
        f"{url}/need",
        {
            "rows": [{"specialty": "A01", "count": 5, "regions": ["990991"]}],
            "evaluation_at": (clock.now() + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    few = staff.post(f"{url}/draw")
    assert few.status_code == 400 and few.json()["code"] == "too_few_experts"
    assert "missing" in json.dumps(few.json())


def test_register_review_import_through_the_api(setting) -> None:
    expert_user = make_user(roles=["expert"])
    me = client_for(expert_user)
    created = me.post(
        f"{API}/pool",
        {
            "name": "王建国",
            "region": "620102",
            "specialties": ["A0101"],
            "employer_uscc": "",
            "titles": ["高级工程师"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["status"] == "applied"
    code = created.json()["code"]
    assert (
        me.post(f"{API}/pool/{code}/review", {"approve": True}, content_type="application/json").status_code
        == 403
    )
    staff = client_for(setting.cast.staff_user)
    assert (
        staff.post(f"{API}/pool/{code}/review", {"approve": False}, content_type="application/json").json()[
            "code"
        ]
        == "reason_required"
    )
    assert (
        staff.post(f"{API}/pool/{code}/review", {"approve": True}, content_type="application/json").json()[
            "status"
        ]
        == "approved"
    )
    listing = staff.get(f"{API}/pool").json()
    assert [r["name"] for r in listing if r["code"] == code] == [None]  # centre staff: codes only
    supervisor = client_for(setting.cast.supervisor_user)
    assert [r["name"] for r in supervisor.get(f"{API}/pool").json() if r["code"] == code] == ["王建国"]
    imported = staff.post(
        f"{API}/pool/import",
        {
            "source": "兰州市",
            "experts": [{"ref": "LZ-1", "name": "李四", "region": "620102", "specialties": ["B01"]}],
        },
        content_type="application/json",
    )
    assert imported.json()["imported"] == 1
    again = staff.post(
        f"{API}/pool/import",
        {
            "source": "兰州市",
            "experts": [{"ref": "LZ-1", "name": "李四", "region": "620102", "specialties": ["B01"]}],
        },
        content_type="application/json",
    )
    assert again.json()["codes"] == imported.json()["codes"]  # idempotent
    bad = staff.post(
        f"{API}/pool/import",
        {
            "source": "兰州市",
            "experts": [{"ref": "LZ-2", "name": "赵六", "region": "62", "specialties": ["B01"]}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "Record 1" in bad.json()["detail"] or "第 1 条" in bad.json()["detail"]


def test_csv_import_file() -> None:
    text = "ref,name,region,specialties,employer_uscc,employer_name,titles,phone\nX1,张三,620102,A0101;B01,,,高工,\n"
    records = services.parse_pool_file(text.encode(), filename="pool.csv")
    assert records[0]["specialties"] == ["A0101", "B01"] and records[0]["titles"] == ["高工"]


def test_permission_matrix(setting) -> None:
    users = [make_user(roles=["expert"]) for _ in range(5)]
    testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id, users=users)
    cast = setting.cast
    other_expert = make_user(roles=["expert"])
    who = {
        "member": identity.principal_for_user(users[0]),
        "other_expert": identity.principal_for_user(other_expert),
        "tenderer": cast.tenderer,
        "agency": cast.agency,
        "supervisor": cast.supervisor,
        "auditor": cast.auditor,
        "centre_staff": cast.staff,
        "bidder": cast.p("bidder"),
        "guest": Principal.guest(),
    }
    tender, lot = setting.tender.pk, setting.lot_id
    expected = {
        # role: (view committee, names seen, contribute, manage pool)
        "member": (False, 1, False, False),
        "other_expert": (False, 0, False, False),
        "tenderer": (True, 0, False, False),
        "agency": (True, 0, False, False),
        "supervisor": (True, 5, True, False),
        "auditor": (True, 5, False, False),
        "centre_staff": (True, 0, False, True),
        "bidder": (False, 0, False, False),
        "guest": (False, 0, False, False),
    }
    for role, (view, names, contribute, manage) in expected.items():
        p = who[role]
        assert permissions.may_view_committee(p, tender) is view, role
        assert permissions.may_contribute(p, tender) is contribute, role
        assert permissions.may_manage_pool(p) is manage, role
        if view:
            members = selectors.committee_view(p, tender, lot)["members"]
            assert sum(1 for m in members if m["name"]) == names, role
        else:
            seats = Seat.objects.filter(need__tender_id=tender, status=states.CONFIRMED)
            seen = sum(
                1
                for s in seats
                if permissions.may_see_names(p, tender, published=False, own_user_id=s.user_id)
            )
            assert seen == names, role
    # the member sees their own invitation, nobody else's
    assert len(selectors.invitations_view(who["member"])) == 1
    assert selectors.invitations_view(who["other_expert"]) == []


def test_pages(setting) -> None:
    users = [make_user(roles=["expert"]) for _ in range(5)]
    testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id, users=users)
    staff = client_for(setting.cast.staff_user)
    page = staff.get("/trading/experts/")
    assert page.status_code == 200
    first = Expert.objects.first()
    assert first is not None and first.code in page.content.decode()
    need = staff.get(f"/trading/experts/tenders/{setting.tender.pk}/lots/{setting.lot_id}/")
    assert need.status_code == 200
    body = need.content.decode()
    assert "EX-" in body and "测试专家" not in body  # centre staff: codes only
    member = client_for(users[0])
    mine = member.get("/trading/experts/invitations/")
    assert mine.status_code == 200 and "已确认参加" in mine.content.decode()
    assert client_for(setting.cast.bidder_user).get("/trading/experts/").status_code == 403


def test_accept_and_decline_pages(setting) -> None:
    for _ in range(6):
        testing.make_expert(user=make_user(roles=["expert"]), region="620102")
    services.state_need(
        principal=setting.cast.agency,
        tender_id=setting.tender.pk,
        lot_id=setting.lot_id,
        rows=[services.RowInput(specialty="A01", count=5, regions=("620102",))],
        representatives=0,
        evaluation_at=clock.now() + timedelta(days=1),
    )
    agency = client_for(setting.cast.agency_user)
    drawn = agency.post(f"/trading/experts/tenders/{setting.tender.pk}/lots/{setting.lot_id}/draw/")
    assert drawn.status_code == 302
    from yingshang.ledger import facade as ledger

    ledger.sequence_once()
    services.complete_due(now=clock.now())
    seats = list(Seat.objects.filter(status=states.INVITED))
    first = client_for(identity.get_user(int(seats[0].user_id or 0)))
    first.post(f"/trading/experts/invitations/{seats[0].pk}/answer/", {"answer": "accept"})
    seats[0].refresh_from_db()
    assert seats[0].status == states.INVITED  # no declaration: refused
    first.post(
        f"/trading/experts/invitations/{seats[0].pk}/answer/", {"answer": "accept", "no_conflict": "on"}
    )
    seats[0].refresh_from_db()
    assert seats[0].status == states.CONFIRMED
    second = client_for(identity.get_user(int(seats[1].user_id or 0)))
    second.post(
        f"/trading/experts/invitations/{seats[1].pk}/answer/", {"answer": "decline", "reason": "出差"}
    )
    seats[1].refresh_from_db()
    assert seats[1].status == states.DECLINED


def test_a_person_applies_to_the_pool_from_the_page(setting) -> None:
    """The application page: a wrong form keeps what was typed and says what is wrong; a right
    one files the application (state applied, for centre staff to review) and the page then
    shows it instead of the form."""
    person = make_user(roles=["expert"])
    browser = client_for(person)
    assert 'id="apply-form"' in browser.get("/trading/experts/apply/").content.decode()
    wrong = browser.post(
        "/trading/experts/apply/", {"name": "赵文博", "region": "6201", "employer_name": "金城理工大学"}
    )
    body = wrong.content.decode()
    assert wrong.status_code == 200 and "6位行政区划代码" in body and "至少填写一个专业" in body
    assert 'value="金城理工大学"' in body and not Expert.objects.filter(user=person).exists()
    filed = browser.post(
        "/trading/experts/apply/",
        {
            "name": "赵文博",
            "region": "620102",
            "specialties": ["A0101", "B01"],
            "employer_name": "金城理工大学",
            "titles": "教授，一级注册结构工程师",
            "phone": "13700001234",
        },
        follow=True,
    )
    expert = Expert.objects.get(user=person)
    assert expert.status == states.APPLIED and expert.specialties == ["A0101", "B01"]
    assert expert.titles == ["教授", "一级注册结构工程师"]
    page = filed.content.decode()
    assert expert.code in page and "待审核" in page and 'id="apply-form"' not in page
    staff_page = client_for(setting.cast.staff_user).get("/trading/experts/?status=applied").content.decode()
    assert expert.code in staff_page
