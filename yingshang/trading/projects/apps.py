from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "yingshang.trading.projects"
    label = "projects"
    verbose_name = _("Projects and tenders")

    def ready(self) -> None:
        from yingshang.trading.projects import ledger_actions, messages

        ledger_actions.register()
        messages.register()

        from yingshang.kernel.calendar_store import on_calendar_changed
        from yingshang.trading.projects import tasks

        on_calendar_changed(tasks.recheck_provisional)
