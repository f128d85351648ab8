"""The experts context's message templates (registered at start-up)."""

from __future__ import annotations

from yingshang.notifications.contracts import MessageTemplate

INVITED = "experts.invited"

TEMPLATES = (
    MessageTemplate(
        code=INVITED,
        subject_zh="评标邀请：{{ title }}",
        subject_en="Invitation to evaluate: {{ title }}",
        body_zh=(
            "您（专家编号 {{ code }}）被随机抽取为项目 {{ project_code }}（{{ title }}）的评标专家，"
            "评标时间 {{ evaluation_at }}{{ remote_zh }}。\n请在 {{ respond_by }} 前登录平台确认或拒绝，"
            "确认时须声明与投标人无利害关系：{{ url }}\n请勿向任何人透露本次邀请。\n\n—— 营商平台"
        ),
        body_en=(
            "You (expert {{ code }}) were drawn at random to evaluate {{ project_code }} ({{ title }}) "
            "on {{ evaluation_at }}{{ remote_en }}.\nAccept (declaring no conflict of interest) or decline "
            "before {{ respond_by }}: {{ url }}\nKeep this invitation to yourself.\n\n— Yingshang platform"
        ),
        sms_zh="【营商】您被抽取为评标专家（{{ code }}），请于 {{ respond_by }} 前登录平台答复。",
        sms_en="[Yingshang] You were drawn as an evaluator ({{ code }}); answer before {{ respond_by }}.",
        required=frozenset(
            {"code", "project_code", "title", "evaluation_at", "respond_by", "url", "remote_zh", "remote_en"}
        ),
    ),
)
