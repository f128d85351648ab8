"""The documents context's message templates and upload purpose (registered at start-up)."""

from __future__ import annotations

from yingshang.files.facade import UploadPurpose
from yingshang.files.rules import PDF
from yingshang.kernel.text import Text
from yingshang.notifications.contracts import MessageTemplate

VERSION_PUBLISHED = "tenderdocs.version_published"
QUESTION_ASKED = "tenderdocs.question_asked"

TEMPLATES = (
    MessageTemplate(
        code=VERSION_PUBLISHED,
        subject_zh="招标文件第 {{ version }} 版已发布：{{ title }}",
        subject_en="Version {{ version }} of the tender documents: {{ title }}",
        body_zh=(
            "项目 {{ code }}（{{ title }}）的招标文件已发布第 {{ version }} 版（{{ kind_zh }}）。\n"
            "{{ reason }}\n{{ deadline_zh }}\n请登录平台下载新版本并取得回执：{{ url }}\n\n—— 营商平台"
        ),
        body_en=(
            "Version {{ version }} ({{ kind_en }}) of the tender documents of {{ code }} ({{ title }}) "
            "is published.\n{{ reason }}\n{{ deadline_en }}\nSign in to download it and get your "
            "receipt: {{ url }}\n\n— Yingshang platform"
        ),
        sms_zh="【营商】{{ code }} 招标文件第 {{ version }} 版已发布，请登录下载。",
        sms_en="[Yingshang] Version {{ version }} of the {{ code }} tender documents is out.",
        required=frozenset({"version", "title", "code", "kind_zh", "kind_en", "url"}),
    ),
    MessageTemplate(
        code=QUESTION_ASKED,
        subject_zh="收到一个关于招标文件的问题：{{ title }}",
        subject_en="A question about the tender documents: {{ title }}",
        body_zh="项目 {{ code }}（{{ title }}）收到第 {{ number }} 个问题，请在平台答复：{{ url }}\n\n—— 营商平台",
        body_en=(
            "Question {{ number }} about the documents of {{ code }} ({{ title }}) awaits an answer: "
            "{{ url }}\n\n— Yingshang platform"
        ),
        required=frozenset({"title", "code", "number", "url"}),
    ),
)

#: Where rendered PDFs are stored (the files context, content-addressed).
RENDERED_PURPOSE = UploadPurpose(
    "tender_documents_rendered",
    Text(zh="招标文件（平台生成）", en="Tender documents (rendered by the platform)"),
    frozenset({PDF}),
)
