"""Reference data of the trading centre, as data: resource kinds, regimes, procurement methods
and deposit forms. Pure: no Django.

Each row carries Chinese and English labels (``Text``). The statutory figures themselves
(T1-T21, G1-G10) live in ``yingshang/kernel/statutory.yaml``; what is here is which kinds and
methods exist, which regime governs them and the method rules that statutory.yaml does not hold
(minimum response periods of the non-tender procurement methods, minimum number of suppliers).
"""

from __future__ import annotations

from dataclasses import dataclass

from yingshang.kernel.statutory import METHODS
from yingshang.kernel.text import Text

__all__ = [
    "DEPOSIT_FORMS",
    "METHOD_RULES",
    "REGIMES",
    "RESOURCE_KINDS",
    "DepositForm",
    "MethodRule",
    "Regime",
    "ResourceKind",
    "deposit_form",
    "method_rule",
    "regime",
    "resource_kind",
]


@dataclass(frozen=True)
class Regime:
    code: str  # "tendering" | "procurement" (kernel.statutory regimes)
    label: Text
    supervisor_hint: Text  # who is the competent supervisory department


@dataclass(frozen=True)
class ResourceKind:
    """One of the 11 kinds of public resource the centre trades (全市11类公共资源)."""

    code: str
    label: Text
    regimes: tuple[str, ...]  # regimes a project of this kind may run under (first: default)
    methods: tuple[str, ...]  # methods a tender of this kind may use


@dataclass(frozen=True)
class MethodRule:
    """A procurement method and its rules."""

    code: str  # kernel.statutory.METHODS
    label: Text
    regimes: tuple[str, ...]
    public_notice: bool  # announced by a public notice (invited tenders and single source: no)
    min_suppliers: int  # at least this many bidders/suppliers take part
    #: The shortest time from issuing the documents to the bid (response) deadline that the
    #: method's own rules require, beyond T1/G1 (``None``: T1/G1 apply).
    min_response_days: int | None
    response_unit: str | None  # "calendar" | "working"
    source: Text


@dataclass(frozen=True)
class DepositForm:
    code: str
    label: Text
    cash_like: bool  # must come from the bidder's basic account (T15.basic_account); no cash in G3


REGIMES: dict[str, Regime] = {
    r.code: r
    for r in (
        Regime(
            "tendering",
            Text(zh="招标投标（《招标投标法》）", en="Tendering (Tendering and Bidding Law)"),
            Text(
                zh="按行业分工的行政监督部门（《招标投标法实施条例》第四条、第六十一条）",
                en="The supervisory department of the industry (Implementing Regulations, arts. 4 and 61)",
            ),
        ),
        Regime(
            "procurement",
            Text(zh="政府采购（《政府采购法》）", en="Government procurement (Government Procurement Law)"),
            Text(zh="同级财政部门（《政府采购法》第十三条）", en="The finance department (GPL art. 13)"),
        ),
    )
}

_TENDER = ("open", "invited")

RESOURCE_KINDS: dict[str, ResourceKind] = {
    k.code: k
    for k in (
        ResourceKind(
            "construction", Text(zh="工程建设项目招标投标", en="Construction works"), ("tendering",), _TENDER
        ),
        ResourceKind(
            "government_procurement",
            Text(zh="政府采购", en="Government procurement"),
            ("procurement",),
            METHODS,
        ),
        ResourceKind(
            "land_use_rights", Text(zh="土地使用权出让", en="Land use rights"), ("tendering",), _TENDER
        ),
        ResourceKind("mining_rights", Text(zh="矿业权出让", en="Mining rights"), ("tendering",), _TENDER),
        ResourceKind(
            "state_property_rights",
            Text(zh="国有产权交易", en="State-owned property rights"),
            ("tendering",),
            _TENDER,
        ),
        ResourceKind(
            "medical_supplies",
            Text(zh="药品和医用耗材采购", en="Medicines and medical consumables"),
            ("procurement", "tendering"),
            METHODS,
        ),
        ResourceKind("forest_rights", Text(zh="林权交易", en="Forest rights"), ("tendering",), _TENDER),
        ResourceKind(
            "emission_rights", Text(zh="排污权交易", en="Pollutant emission rights"), ("tendering",), _TENDER
        ),
        ResourceKind(
            "carbon_emission_rights",
            Text(zh="碳排放权交易", en="Carbon emission rights"),
            ("tendering",),
            _TENDER,
        ),
        ResourceKind("water_rights", Text(zh="水权交易", en="Water rights"), ("tendering",), _TENDER),
        ResourceKind(
            "rural_collective_property",
            Text(zh="农村集体产权交易", en="Rural collective property rights"),
            ("tendering", "procurement"),
            _TENDER,
        ),
    )
}

_MOF74 = "《政府采购非招标采购方式管理办法》（财政部令第74号）"

METHOD_RULES: dict[str, MethodRule] = {
    m.code: m
    for m in (
        MethodRule(
            "open",
            Text(zh="公开招标", en="Open tender"),
            ("tendering", "procurement"),
            public_notice=True,
            min_suppliers=3,
            min_response_days=None,
            response_unit=None,
            source=Text(
                zh="《招标投标法》第十条、第二十八条", en="Tendering and Bidding Law, arts. 10 and 28"
            ),
        ),
        MethodRule(
            "invited",
            Text(zh="邀请招标", en="Invited tender"),
            ("tendering", "procurement"),
            public_notice=False,
            min_suppliers=3,
            min_response_days=None,
            response_unit=None,
            source=Text(zh="《招标投标法》第十七条", en="Tendering and Bidding Law, art. 17"),
        ),
        MethodRule(
            "negotiation",
            Text(zh="竞争性谈判", en="Competitive negotiation"),
            ("procurement",),
            public_notice=True,
            min_suppliers=3,
            min_response_days=3,
            response_unit="working",
            source=Text(
                zh=f"《政府采购法》第三十八条；{_MOF74}第二十九条", en="GPL art. 38; MOF Order 74, art. 29"
            ),
        ),
        MethodRule(
            "consultation",
            Text(zh="竞争性磋商", en="Competitive consultation"),
            ("procurement",),
            public_notice=True,
            min_suppliers=3,
            min_response_days=10,
            response_unit="calendar",
            source=Text(
                zh="《政府采购竞争性磋商采购方式管理暂行办法》第十条", en="MOF 2014 No. 214, art. 10"
            ),
        ),
        MethodRule(
            "inquiry",
            Text(zh="询价", en="Inquiry"),
            ("procurement",),
            public_notice=True,
            min_suppliers=3,
            min_response_days=3,
            response_unit="working",
            source=Text(
                zh=f"《政府采购法》第四十条；{_MOF74}第四十五条", en="GPL art. 40; MOF Order 74, art. 45"
            ),
        ),
        MethodRule(
            "single_source",
            Text(zh="单一来源采购", en="Single source"),
            ("procurement",),
            public_notice=False,
            min_suppliers=1,
            min_response_days=None,
            response_unit=None,
            source=Text(zh="《政府采购法》第三十一条、第三十九条", en="GPL arts. 31 and 39"),
        ),
    )
}

DEPOSIT_FORMS: dict[str, DepositForm] = {
    f.code: f
    for f in (
        DepositForm("cash", Text(zh="现金（转账）", en="Cash (bank transfer)"), True),
        DepositForm("cheque", Text(zh="支票", en="Cheque"), True),
        DepositForm("draft", Text(zh="汇票", en="Bank draft"), False),
        DepositForm("promissory_note", Text(zh="本票", en="Promissory note"), False),
        DepositForm(
            "guarantee", Text(zh="银行或担保机构保函（含电子保函）", en="Bank or guarantor guarantee"), False
        ),
        DepositForm("insurance", Text(zh="保证保险", en="Guarantee insurance"), False),
        DepositForm("none", Text(zh="不收取保证金", en="No deposit"), False),
    )
}


def regime(code: str) -> Regime | None:
    return REGIMES.get(code)


def resource_kind(code: str) -> ResourceKind | None:
    return RESOURCE_KINDS.get(code)


def method_rule(code: str) -> MethodRule | None:
    return METHOD_RULES.get(code)


def deposit_form(code: str) -> DepositForm | None:
    return DEPOSIT_FORMS.get(code)
