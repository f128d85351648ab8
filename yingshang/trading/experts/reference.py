"""Reference data of the expert pool: the specialty code tree. Pure: no Django.

Codes are hierarchical by prefix: ``A`` (engineering construction) > ``A01`` (building works) >
``A0101`` (civil engineering). An expert with ``A0101`` qualifies for a need of ``A01`` or ``A``.
"""

from __future__ import annotations

from yingshang.kernel.text import Text

#: code -> (zh, en)
SPECIALTIES: dict[str, tuple[str, str]] = {
    "A": ("工程建设", "Engineering construction"),
    "A01": ("房屋建筑工程", "Building works"),
    "A0101": ("土建", "Civil engineering"),
    "A0102": ("建筑电气", "Building electrical"),
    "A0103": ("给排水与暖通", "Plumbing and HVAC"),
    "A02": ("市政工程", "Municipal works"),
    "A0201": ("道路桥梁", "Roads and bridges"),
    "A0202": ("市政管网", "Municipal pipelines"),
    "A03": ("水利工程", "Water works"),
    "B": ("工程造价", "Engineering cost"),
    "B01": ("土建造价", "Civil works costing"),
    "B02": ("安装造价", "Installation costing"),
    "C": ("医疗设备", "Medical equipment"),
    "C01": ("医学影像设备", "Medical imaging equipment"),
    "C02": ("检验设备", "Laboratory equipment"),
    "D": ("信息技术", "Information technology"),
    "D01": ("软件与系统集成", "Software and system integration"),
    "D02": ("网络与安全", "Networks and security"),
    "E": ("经济与法律", "Economics and law"),
    "E01": ("财务审计", "Finance and audit"),
    "E02": ("法律", "Law"),
}


def is_specialty(code: str) -> bool:
    return code in SPECIALTIES


def specialty_label(code: str) -> Text:
    zh, en = SPECIALTIES.get(code, (code, code))
    return Text(zh=zh, en=en)


def qualifies(held: str, needed: str) -> bool:
    """Whether an expert holding ``held`` qualifies for a need of ``needed`` (same or deeper)."""
    return held.startswith(needed)


def specialty_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {zh}") for code, (zh, _en) in SPECIALTIES.items()]
