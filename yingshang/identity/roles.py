"""The organisation roles and organisation kinds of the platform. Pure: imports no Django.

One list of roles (``shared/design/GLOSSARY.md``), granted through a membership of a user in an
organisation. An anonymous visitor (``guest``) holds no membership, so ``guest`` is never
stored. Relations to one object (opening host, committee chair, a work order's handler) are not
roles; the contexts that own those objects keep them.

Everything here is data that the services, the policies, the dashboard and ``docs/roles.md``
read; change it here and the rest follows (a new role also needs a migration, because the
database constrains the stored values).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from yingshang.kernel.text import Text

__all__ = [
    "GUEST",
    "OVERSIGHT_ROLES",
    "READ_ONLY_ROLES",
    "ROLES_BY_KIND",
    "SECOND_FACTOR_ROLES",
    "OrganisationKind",
    "Role",
    "kind_choices",
    "parse_roles",
    "role_choices",
    "roles_needing_second_factor",
]

#: The name of the anonymous visitor in docs and the permission matrix. Never stored.
GUEST = "guest"


class Role(StrEnum):
    """A role a user holds in one organisation."""

    CENTRE_STAFF = "centre_staff"
    TENDERER = "tenderer"
    AGENCY = "agency"
    BIDDER = "bidder"
    EXPERT = "expert"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ENTERPRISE = "enterprise"
    SERVICE_MANAGER = "service_manager"
    DEPARTMENT = "department"
    ISSUER = "issuer"

    @property
    def label(self) -> Text:
        """The role's name in Chinese and English (``str()`` picks the active language)."""
        return _ROLE_LABELS[self]

    @property
    def description(self) -> Text:
        """What a holder of this role does on the platform, for dashboards and docs."""
        return _ROLE_DESCRIPTIONS[self]

    @property
    def needs_second_factor(self) -> bool:
        return self in SECOND_FACTOR_ROLES

    @property
    def is_read_only(self) -> bool:
        return self in READ_ONLY_ROLES


class OrganisationKind(StrEnum):
    """What sort of body an organisation is."""

    ENTERPRISE = "enterprise"
    AGENCY = "agency"
    DEPARTMENT = "department"
    CENTRE = "centre"
    ISSUER = "issuer"
    SUPERVISORY = "supervisory"

    @property
    def label(self) -> Text:
        return _KIND_LABELS[self]


_ROLE_LABELS: dict[Role, Text] = {
    Role.CENTRE_STAFF: Text(zh="交易中心工作人员", en="centre staff"),
    Role.TENDERER: Text(zh="招标人 / 采购人", en="tenderer / purchaser"),
    Role.AGENCY: Text(zh="招标代理机构", en="tendering agency"),
    Role.BIDDER: Text(zh="投标人 / 供应商", en="bidder / supplier"),
    Role.EXPERT: Text(zh="评标专家", en="evaluation expert"),
    Role.SUPERVISOR: Text(zh="行政监督部门", en="administrative supervisor"),
    Role.AUDITOR: Text(zh="纪检监察 / 审计（只读）", en="discipline inspector / auditor (read-only)"),
    Role.ENTERPRISE: Text(zh="企业用户", en="enterprise user"),
    Role.SERVICE_MANAGER: Text(zh="服务管家", en="service manager"),
    Role.DEPARTMENT: Text(zh="责任部门经办人", en="department handler"),
    Role.ISSUER: Text(zh="金融机构 / 担保机构", en="guarantee issuer (bank, insurer)"),
}

_ROLE_DESCRIPTIONS: dict[Role, Text] = {
    Role.CENTRE_STAFF: Text(
        zh="受理进场登记，安排开标场地与时间，主持不见面开标，组织专家抽取，见证交易全过程。",
        en="Registers projects at intake, books opening rooms and times, hosts remote openings, "
        "runs expert draws and witnesses every step of a transaction.",
    ),
    Role.TENDERER: Text(
        zh="登记项目与标段，发布招标公告和招标文件，答复澄清，确认评标结果并定标、签订合同。",
        en="Registers projects and lots, publishes tender notices and documents, answers "
        "clarifications, confirms the evaluation result, decides the award and signs the contract.",
    ),
    Role.AGENCY: Text(
        zh="受招标人委托编制招标文件、发布公告、组织开标评标，代理全过程事务。",
        en="Acts for tenderers: drafts tender documents, publishes notices and runs openings "
        "and evaluations on their behalf.",
    ),
    Role.BIDDER: Text(
        zh="获取招标文件，提交加密投标文件并取得回执，在开标时解密，查看结果，提出异议。",
        en="Obtains tender documents, submits sealed bids and receives receipts, decrypts at "
        "the opening, sees results and may raise objections.",
    ),
    Role.EXPERT: Text(
        zh="被抽取后确认参加或回避，在评标室独立评审并签署评标报告。",
        en="When drawn, accepts or declares a conflict, evaluates bids independently and signs "
        "the evaluation report.",
    ),
    Role.SUPERVISOR: Text(
        zh="对职责范围内的项目进行全过程监督，处理投诉，可暂停或终止交易，见证检查点。",
        en="Supervises the projects in its remit from intake to contract, handles complaints, "
        "may suspend or terminate a transaction, and witnesses ledger checkpoints.",
    ),
    Role.AUDITOR: Text(
        zh="只读查看全部交易记录、证据链和预警，开展纪检监察与审计，不能修改任何数据。",
        en="Reads every transaction record, the evidence ledger and the warnings for discipline "
        "inspection and audit; can change nothing.",
    ),
    Role.ENTERPRISE: Text(
        zh="提交诉求、查看服务进度、申请并享受惠企政策。",
        en="Raises demands to the service desk, follows their progress and applies for (or "
        "automatically receives) business-support policies.",
    ),
    Role.SERVICE_MANAGER: Text(
        zh="对接包联企业，分派诉求、跟踪办理时限、组织走访与回访。",
        en="Looks after assigned enterprises: dispatches their demands, watches the service "
        "deadlines and organises visits and follow-ups.",
    ),
    Role.DEPARTMENT: Text(
        zh="签收本部门的诉求工单，办理并反馈结果，办理审批事项。",
        en="Signs for the work orders sent to the department, resolves them and reports back, "
        "and handles approval steps.",
    ),
    Role.ISSUER: Text(
        zh="为投标人出具电子保函，核验与理赔，管理保证金账户。",
        en="Issues e-guarantees for bidders, verifies and pays claims, and manages deposit sub-accounts.",
    ),
}

_KIND_LABELS: dict[OrganisationKind, Text] = {
    OrganisationKind.ENTERPRISE: Text(zh="企业或事业单位", en="enterprise or institution"),
    OrganisationKind.AGENCY: Text(zh="招标代理机构", en="tendering agency"),
    OrganisationKind.DEPARTMENT: Text(zh="政府部门", en="government department"),
    OrganisationKind.CENTRE: Text(zh="公共资源交易中心", en="public resource trading centre"),
    OrganisationKind.ISSUER: Text(zh="金融机构 / 担保机构", en="bank, insurer or guarantee institution"),
    OrganisationKind.SUPERVISORY: Text(zh="行政监督部门", en="supervisory body"),
}

#: Roles whose holders must pass a second factor (TOTP) before they reach anything else.
SECOND_FACTOR_ROLES: frozenset[Role] = frozenset(
    {Role.CENTRE_STAFF, Role.SUPERVISOR, Role.AUDITOR, Role.EXPERT}
)

#: Roles that may only read: the policy base denies every action not marked as a read to them.
READ_ONLY_ROLES: frozenset[Role] = frozenset({Role.AUDITOR})

#: Roles that oversee the whole platform and so see every organisation.
OVERSIGHT_ROLES: frozenset[Role] = frozenset({Role.CENTRE_STAFF, Role.SUPERVISOR, Role.AUDITOR})

#: Which roles a membership in each kind of organisation may carry. An evaluation expert is
#: a person drawn from the expert pool; the organisation is the expert's employer.
ROLES_BY_KIND: dict[OrganisationKind, frozenset[Role]] = {
    OrganisationKind.CENTRE: frozenset({Role.CENTRE_STAFF, Role.SERVICE_MANAGER, Role.EXPERT}),
    OrganisationKind.SUPERVISORY: frozenset({Role.SUPERVISOR, Role.AUDITOR}),
    OrganisationKind.DEPARTMENT: frozenset(
        {Role.TENDERER, Role.DEPARTMENT, Role.SERVICE_MANAGER, Role.SUPERVISOR, Role.AUDITOR, Role.EXPERT}
    ),
    OrganisationKind.ENTERPRISE: frozenset({Role.TENDERER, Role.BIDDER, Role.ENTERPRISE, Role.EXPERT}),
    OrganisationKind.AGENCY: frozenset({Role.AGENCY, Role.EXPERT}),
    OrganisationKind.ISSUER: frozenset({Role.ISSUER}),
}


def role_choices() -> list[tuple[str, Text]]:
    """Choices for a model or form field (Django accepts a callable)."""
    return [(role.value, role.label) for role in Role]


def kind_choices() -> list[tuple[str, Text]]:
    return [(kind.value, kind.label) for kind in OrganisationKind]


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """The roles named, or ``ValueError`` naming the first unknown one (``guest`` included)."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            raise ValueError(value) from None
    return frozenset(roles)


def roles_needing_second_factor(roles: Iterable[str]) -> frozenset[Role]:
    """Which of ``roles`` require a second factor."""
    held = {str(role) for role in roles}
    return frozenset(role for role in SECOND_FACTOR_ROLES if role.value in held)
