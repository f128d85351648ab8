from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpeningConfig(AppConfig):
    name = "yingshang.trading.opening"
    label = "opening"
    verbose_name = _("Remote opening hall")

    def ready(self) -> None:
        from yingshang.files import facade as files
        from yingshang.trading.opening import evidence, messages

        evidence.register()
        files.register_purpose(messages.OPENED_BID_PURPOSE)
        files.register_purpose(messages.RECORD_PDF_PURPOSE)
