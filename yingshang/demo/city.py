"""The demo city: 金城市, a believable prefecture-level city (division 620100).

Every organisation has a valid unified social credit code made with the kernel's
``make_uscc`` (so the check digits are right), and every person a sign-in. Later capabilities
add tenders, bids, openings and evaluations on top of these parties.
"""

from __future__ import annotations

from dataclasses import dataclass

DIVISION = "620100"
DEMO_PASSWORD = "Jincheng-demo-2026"  # noqa: S105  (a published demo password, not a secret)
# The demo's shared TOTP secret for the roles that need a second factor (published, demo only).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJINCHENGDEMOKEY7"  # noqa: S105


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    kind: str
    name: str
    authority: str  # registration authority code (GB 32100): 1 government bodies, 9 market entities
    entity_type: str
    org_code_body: str  # the first eight characters of the GB 11714 organisation code


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    organisation: str  # DemoOrganisation.key
    roles: tuple[str, ...]
    phone: str = ""
    language: str = "zh-hans"


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation("centre", "centre", "金城市公共资源交易中心", "1", "2", "MB1A0001"),
    DemoOrganisation("housing", "supervisory", "金城市住房和城乡建设局", "1", "1", "MB1A0002"),
    DemoOrganisation("finance", "supervisory", "金城市财政局", "1", "1", "MB1A0003"),
    DemoOrganisation("audit", "supervisory", "金城市审计局", "1", "1", "MB1A0004"),
    DemoOrganisation("commerce", "department", "金城市商务局", "1", "1", "MB1A0005"),
    DemoOrganisation("hospital", "enterprise", "金城市第一人民医院", "1", "2", "MB1A0006"),
    DemoOrganisation("urbaninvest", "enterprise", "金城城市建设投资集团有限公司", "9", "1", "MA7B0001"),
    DemoOrganisation("education", "department", "金城市教育局", "1", "1", "MB1A0007"),
    DemoOrganisation("longyuan", "agency", "陇原招标代理有限公司", "9", "1", "MA7B0002"),
    DemoOrganisation("jcconsult", "agency", "金城建设工程咨询有限公司", "9", "1", "MA7B0003"),
    DemoOrganisation("bank", "issuer", "金城银行股份有限公司", "9", "1", "MA7B0004"),
    DemoOrganisation("insurer", "issuer", "陇原财产保险股份有限公司金城分公司", "9", "1", "MA7B0005"),
    # Bidders: builders, suppliers and consultants.
    DemoOrganisation("b01", "enterprise", "金城第一建筑工程有限公司", "9", "1", "MA7C0001"),
    DemoOrganisation("b02", "enterprise", "黄河路桥建设集团有限公司", "9", "1", "MA7C0002"),
    DemoOrganisation("b03", "enterprise", "陇西建工集团有限公司", "9", "1", "MA7C0003"),
    DemoOrganisation("b04", "enterprise", "皋兰市政工程有限公司", "9", "1", "MA7C0004"),
    DemoOrganisation("b05", "enterprise", "西固水利水电工程有限公司", "9", "1", "MA7C0005"),
    DemoOrganisation("b06", "enterprise", "安宁园林绿化有限公司", "9", "1", "MA7C0006"),
    DemoOrganisation("b07", "enterprise", "七里河医疗设备有限公司", "9", "1", "MA7C0007"),
    DemoOrganisation("b08", "enterprise", "城关信息技术股份有限公司", "9", "1", "MA7C0008"),
    DemoOrganisation("b09", "enterprise", "榆中电气安装有限公司", "9", "1", "MA7C0009"),
    DemoOrganisation("b10", "enterprise", "永登钢结构有限公司", "9", "1", "MA7C0010"),
    DemoOrganisation("b11", "enterprise", "红古物业服务有限公司", "9", "1", "MA7C0011"),
    DemoOrganisation("b12", "enterprise", "兰山工程造价咨询有限公司", "9", "1", "MA7C0012"),
    # Experts' employers.
    DemoOrganisation("university", "enterprise", "金城理工大学", "1", "2", "MB1A0008"),
    DemoOrganisation("designinst", "enterprise", "金城市建筑设计研究院有限公司", "9", "1", "MA7D0001"),
    # Enterprise services: a key enterprise and the service desk.
    DemoOrganisation("newmaterials", "enterprise", "金城新材料科技有限公司", "9", "1", "MA7E0001"),
)

BIDDER_NAMES = ("b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10", "b11", "b12")

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("staff", "张伟（交易中心）", "centre", ("centre_staff",), "13800000001"),
    DemoPerson("supervisor", "李健（住建局监督科）", "housing", ("supervisor",), "13800000002"),
    DemoPerson("finance", "王芳（财政局采购监管处）", "finance", ("supervisor",), "13800000003"),
    DemoPerson("auditor", "赵敏（审计局）", "audit", ("auditor",), "13800000004"),
    DemoPerson("tenderer", "陈静（市第一人民医院）", "hospital", ("tenderer",), "13800000005"),
    DemoPerson("urbaninvest", "刘洋（城投集团）", "urbaninvest", ("tenderer",), "13800000006"),
    DemoPerson("purchaser", "孙丽（市教育局）", "education", ("tenderer",), "13800000007"),
    DemoPerson("agency", "周强（陇原招标代理）", "longyuan", ("agency",), "13800000008", "en"),
    DemoPerson("agency2", "吴敏（金城建设咨询）", "jcconsult", ("agency",), "13800000009"),
    DemoPerson("issuer", "郑华（金城银行）", "bank", ("issuer",), "13800000010"),
    DemoPerson("insurer", "冯涛（陇原财险）", "insurer", ("issuer",), "13800000011"),
    *(
        DemoPerson(f"bidder{i:02d}", f"投标联系人{i:02d}", key, ("bidder",), f"139000000{i:02d}")
        for i, key in enumerate(BIDDER_NAMES, start=1)
    ),
    DemoPerson("expert1", "何教授（金城理工大学）", "university", ("expert",), "13700000001"),
    DemoPerson("expert2", "高工（建筑设计研究院）", "designinst", ("expert",), "13700000002"),
    DemoPerson("expert3", "马工（建筑设计研究院）", "designinst", ("expert",), "13700000003"),
    DemoPerson("expert4", "罗教授（金城理工大学）", "university", ("expert",), "13700000004"),
    DemoPerson("expert5", "梁会计师（兰山造价咨询）", "b12", ("expert",), "13700000005"),
    DemoPerson("enterprise", "钱总（金城新材料）", "newmaterials", ("enterprise",), "13600000001"),
    DemoPerson("manager", "黄管家（商务局）", "commerce", ("service_manager",), "13600000002"),
    DemoPerson("department", "谢经办（商务局）", "commerce", ("department",), "13600000003"),
)
