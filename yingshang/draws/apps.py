from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DrawsConfig(AppConfig):
    name = "yingshang.draws"
    label = "draws"
    verbose_name = _("Draws")

    def ready(self) -> None:
        from yingshang.draws import evidence

        evidence.register()
