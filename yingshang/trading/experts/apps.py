from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "yingshang.trading.experts"
    label = "experts"
    verbose_name = _("Expert pool and draws")

    def ready(self) -> None:
        from yingshang.notifications import facade as notifications
        from yingshang.trading.experts import evidence, messages

        evidence.register()
        for template in messages.TEMPLATES:
            notifications.register_template(template)
