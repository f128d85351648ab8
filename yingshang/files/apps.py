from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    name = "yingshang.files"
    label = "files"
    verbose_name = _("Files")

    def ready(self) -> None:
        from yingshang.files import checks  # noqa: F401 - registers the system checks
