from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    name = "yingshang.kernel"
    label = "kernel"
    verbose_name = _("Kernel")

    def ready(self) -> None:
        from django.utils import translation

        from yingshang.kernel import text

        # Pure kernel modules render their bilingual messages in Django's active language.
        text.language_getter = translation.get_language
