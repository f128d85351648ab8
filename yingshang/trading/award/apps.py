from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardConfig(AppConfig):
    name = "yingshang.trading.award"
    label = "award"
    verbose_name = _("Award and contract")

    def ready(self) -> None:
        from yingshang.files import facade as files
        from yingshang.trading.award import evidence, messages

        evidence.register()
        messages.register_templates()
        for purpose in (messages.EVIDENCE_PURPOSE, messages.CONTRACT_PURPOSE, messages.REPORT_PURPOSE):
            files.register_purpose(purpose)
