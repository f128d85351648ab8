from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardConfig(AppConfig):
    name = "yingshang.trading.award"
    label = "award"
    verbose_name = _("Award and contract")
