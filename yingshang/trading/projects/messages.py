"""Message templates of the projects context (registered from ``ProjectsConfig.ready``)."""

from __future__ import annotations

from yingshang.files import facade as files
from yingshang.files.rules import PDF
from yingshang.kernel.text import Text
from yingshang.notifications import facade as notifications
from yingshang.notifications.contracts import MessageTemplate

INTAKE_REVIEWED = "projects.intake_reviewed"
TENDER_CHANGED = "projects.tender_changed"

#: Where the rendered notice PDFs are stored (the files context, content-addressed).
NOTICE_PDF_PURPOSE = files.UploadPurpose(
    "tender_notice_rendered",
    Text(zh="招标（采购）公告（平台生成）", en="Tender notice (rendered by the platform)"),
    frozenset({PDF}),
)


def register() -> None:
    files.register_purpose(NOTICE_PDF_PURPOSE)
    notifications.register_template(
        MessageTemplate(
            code=INTAKE_REVIEWED,
            subject_zh="进场登记{{ outcome_zh }}：{{ code }} {{ name }}",
            subject_en="Project intake {{ outcome_en }}: {{ code }} {{ name }}",
            body_zh="项目 {{ code }}（{{ name }}）的进场登记{{ outcome_zh }}。{{ reason }}\n\n—— 营商平台",
            body_en="The intake of project {{ code }} ({{ name }}) was {{ outcome_en }}. {{ reason }}\n\n"
            "— Yingshang platform",
            sms_zh="【营商】项目{{ code }}进场登记{{ outcome_zh }}",
            sms_en="[Yingshang] Intake of {{ code }} {{ outcome_en }}",
            required=frozenset({"code", "name", "outcome_zh", "outcome_en", "reason"}),
        )
    )
    notifications.register_template(
        MessageTemplate(
            code=TENDER_CHANGED,
            subject_zh="{{ what_zh }}：{{ ocid }} {{ title }}",
            subject_en="{{ what_en }}: {{ ocid }} {{ title }}",
            body_zh="{{ title }}（{{ ocid }}）：{{ what_zh }}。{{ detail_zh }}\n\n—— 营商平台",
            body_en="{{ title }} ({{ ocid }}): {{ what_en }}. {{ detail_en }}\n\n— Yingshang platform",
            sms_zh="【营商】{{ ocid }} {{ what_zh }}",
            sms_en="[Yingshang] {{ ocid }} {{ what_en }}",
            required=frozenset({"ocid", "title", "what_zh", "what_en", "detail_zh", "detail_en"}),
        )
    )
