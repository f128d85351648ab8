from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "yingshang.trading.documents"
    label = "tenderdocs"
    verbose_name = _("Tender documents")

    def ready(self) -> None:
        import logging

        # WeasyPrint logs every rendering step at INFO; keep its warnings only.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        from yingshang.files import facade as files
        from yingshang.notifications import facade as notifications
        from yingshang.trading.documents import evidence, messages

        evidence.register()
        for template in messages.TEMPLATES:
            notifications.register_template(template)
        files.register_purpose(messages.RENDERED_PURPOSE)
