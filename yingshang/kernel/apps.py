from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    name = "yingshang.kernel"
    label = "kernel"
    verbose_name = _("Kernel")

    def ready(self) -> None:
        from django.utils import translation

        from yingshang.kernel import clock, sandbox, text

        # Pure kernel modules render their bilingual messages in Django's active language.
        text.language_getter = translation.get_language
        # The domain clock reads the shared sandbox row lazily (no query here), see kernel.sandbox.
        clock.install(sandbox.default_clock())
        # The working-day calendar is read from the database lazily, see kernel.calendar_store.
        from yingshang.kernel import calendar_store

        calendar_store.install()
