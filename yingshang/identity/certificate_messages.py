"""Message templates of certificate sign-in (registered from ``IdentityConfig.ready``)."""

from __future__ import annotations

from yingshang.notifications import facade as notifications
from yingshang.notifications.contracts import MessageTemplate

CERTIFICATE_EXPIRING = "identity.certificate_expiring"


def register() -> None:
    notifications.register_template(
        MessageTemplate(
            code=CERTIFICATE_EXPIRING,
            subject_zh="数字证书即将到期：{{ organisation }}（剩余 {{ days }} 天）",
            subject_en="Certificate expiring: {{ organisation }} ({{ days }} days left)",
            body_zh="{{ organisation }} 的数字证书（{{ subject }}，指纹 {{ fingerprint }}…）将于 "
            "{{ expires }}（北京时间）到期。请及时向 CA 办理更新，以免影响登录和投标。\n\n—— 营商平台",
            body_en="The certificate of {{ organisation }} ({{ subject }}, fingerprint {{ fingerprint }}…) "
            "expires at {{ expires }} (Beijing time). Renew it with your CA in time so that sign-in and "
            "bidding are not interrupted.\n\n— Yingshang platform",
            sms_zh="【营商】{{ organisation }}数字证书将于{{ expires }}到期，请及时更新",
            sms_en="[Yingshang] The certificate of {{ organisation }} expires {{ expires }}; renew it",
            required=frozenset({"organisation", "subject", "expires", "days", "fingerprint"}),
        )
    )
