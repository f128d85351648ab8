"""Read-mostly admin for superusers: look, search, filter. No business actions here: users,
roles, tokens and organisations change through the services (pages, API, commands), which
check permissions and keep the record. Token hashes and TOTP seeds are never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yingshang.identity.models import (
    ApiToken,
    CertificateAuthority,
    EnterpriseCertificate,
    Membership,
    Organisation,
    RevocationList,
    SignInAttempt,
    TotpDevice,
    User,
)
from yingshang.kernel.admin import ReadOnlyAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("organisation", "role", "granted_at", "granted_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["username", "display_name", "phone", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "preferred_language"]
    search_fields = ["username", "display_name", "phone", "email"]
    fields = [
        "username",
        "display_name",
        "email",
        "phone",
        "preferred_language",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "uscc", "division", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "uscc"]
    fields = ["name", "kind", "uscc", "division", "is_active", "created_at", "updated_at"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organisation", "role", "granted_at"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "user__display_name", "organisation__name", "organisation__uscc"]
    list_select_related = ["user", "organisation"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "prefix", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    fields = [
        "name",
        "user",
        "organisation",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]


@admin.register(SignInAttempt)
class SignInAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "client_address", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["username", "client_address"]
    date_hierarchy = "at"


@admin.register(TotpDevice)
class TotpDeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "confirmed_at"]
    fields = ["user", "created_at", "confirmed_at", "last_used_step"]


# Trust store: staff add and retire CAs and import CRLs through the API (services); here, look only.


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["name", "vendor", "region", "level", "status", "not_after"]
    list_filter = ["level", "status", "vendor", "region"]
    search_fields = ["name", "vendor", "subject", "fingerprint"]
    fields = [
        "name",
        "vendor",
        "region",
        "level",
        "parent",
        "subject",
        "fingerprint",
        "not_before",
        "not_after",
        "uscc_rule",
        "status",
        "added_at",
        "added_by",
        "retired_at",
        "retired_by",
        "retired_reason",
    ]


@admin.register(RevocationList)
class RevocationListAdmin(ReadOnlyAdmin):
    list_display = ["authority", "this_update", "next_update", "imported_at"]
    search_fields = ["authority__name", "fingerprint"]
    fields = [
        "authority",
        "fingerprint",
        "this_update",
        "next_update",
        "revoked_serials",
        "imported_at",
        "imported_by",
    ]


@admin.register(EnterpriseCertificate)
class EnterpriseCertificateAdmin(ReadOnlyAdmin):
    list_display = ["subject", "organisation", "usage", "algorithm", "not_after", "last_seen_at"]
    list_filter = ["usage", "algorithm"]
    search_fields = ["subject", "fingerprint", "organisation__name", "organisation__uscc"]
    fields = [
        "organisation",
        "authority",
        "subject",
        "fingerprint",
        "serial",
        "usage",
        "algorithm",
        "not_before",
        "not_after",
        "first_seen_at",
        "last_seen_at",
        "reminded_days",
    ]
