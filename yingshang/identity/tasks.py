"""Background work of the identity context.

:func:`remind_expiring_certificates` is a chronograph job (``settings.CHRONOGRAPH_JOBS``): each
tick it notifies the users of organisations whose known certificate expires within 30 or 7
days (``YINGSHANG["CERTIFICATE_REMINDER_DAYS"]``), once per threshold, and deletes sign-in
challenges that expired more than a day ago.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.identity import certificate_services


def remind_expiring_certificates(now: datetime) -> int:
    """Chronograph job: returns how many certificates were reminded."""
    certificate_services.purge_challenges(now=now)
    return certificate_services.send_certificate_reminders(now=now)
