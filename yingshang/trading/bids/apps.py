from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BidsConfig(AppConfig):
    name = "yingshang.trading.bids"
    label = "bids"
    verbose_name = _("Sealed bids")

    def ready(self) -> None:
        from yingshang.files import facade as files
        from yingshang.trading.bids import evidence, messages

        evidence.register()
        files.register_purpose(messages.SEALED_BID_PURPOSE)
