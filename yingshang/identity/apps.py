from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "yingshang.identity"
    label = "identity"
    verbose_name = _("Identity")

    def ready(self) -> None:
        from yingshang.kernel import errors, policy
        from yingshang.kernel.text import Text

        def denied(principal: policy.Principal, action: str, message: Text) -> Exception:
            # Policy denials become the kernel's errors: a 401/403 problem document in the API,
            # the 403 page in the browser, in the active language.
            if principal.is_guest:
                return errors.NotAuthenticated(message)
            return errors.PermissionDenied(message)

        policy.denied_error = denied

        from yingshang.identity import ledger_actions

        ledger_actions.register()

        from yingshang.identity import certificate_messages

        certificate_messages.register()
