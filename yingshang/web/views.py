"""Thin page views: the public home page, the role dashboards and the error pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from yingshang.identity import facade as identity
from yingshang.kernel.text import Text
from yingshang.web.problems import problem


@dataclass(frozen=True)
class DashboardLink:
    label: Text
    url_name: str
    anchor: str = ""


_ACCOUNT = DashboardLink(Text(zh="我的账户与 API 令牌", en="Your account and API tokens"), "identity:account")
_TOKENS = DashboardLink(
    Text(zh="为程序创建 API 令牌", en="Create an API token for your programs"),
    "identity:account",
    "#tokens-title",
)
_TWO_FACTOR = DashboardLink(
    Text(zh="身份验证器（双因素）", en="Authenticator app (second factor)"), "identity:two_factor"
)
_INBOX = DashboardLink(Text(zh="站内信", en="Inbox"), "notifications:inbox")
_DOCUMENTS = DashboardLink(Text(zh="文件", en="Documents"), "files:list")
_API = DashboardLink(Text(zh="API 文档", en="API documentation"), "api:openapi-view")
_EVIDENCE = DashboardLink(Text(zh="存证查询与证据包", en="Evidence and bundles"), "ledger:evidence")
_NOTICES = DashboardLink(Text(zh="招标公告", en="Tender notices"), "projects:notices")
_PROJECTS = DashboardLink(Text(zh="项目与招标", en="Projects and tenders"), "projects:projects")
_INTAKE = DashboardLink(Text(zh="项目进场登记", en="Register a project (intake)"), "projects:intake")
_BIDS = DashboardLink(Text(zh="我的投标与回执", en="My bids and receipts"), "bids:mine")
_TEMPLATES = DashboardLink(
    Text(zh="标准招标文件范本", en="Standard tender documents"), "tenderdocs:catalogue"
)
_INVITATIONS = DashboardLink(Text(zh="专家抽取邀请", en="Expert draw invitations"), "experts:invitations")
_APPLY = DashboardLink(Text(zh="申请加入评标专家库", en="Apply to the expert pool"), "experts:apply")
_EVALUATIONS = DashboardLink(Text(zh="评标室", en="Evaluation rooms"), "evaluation:list")
_POOL = DashboardLink(Text(zh="专家库", en="Expert pool"), "experts:pool")
_AWARDS = DashboardLink(Text(zh="中标候选人公示与结果", en="Candidates and results"), "award:list")

#: The links each role's section of the dashboard shows. Each later capability adds its cards
#: here (a link is shown only if its URL exists).
DASHBOARD_LINKS: dict[str, list[DashboardLink]] = {
    identity.Role.CENTRE_STAFF: [
        _PROJECTS,
        _NOTICES,
        _POOL,
        _EVALUATIONS,
        _AWARDS,
        _TWO_FACTOR,
        _DOCUMENTS,
        _INBOX,
        _EVIDENCE,
    ],
    identity.Role.TENDERER: [_PROJECTS, _INTAKE, _TEMPLATES, _EVALUATIONS, _AWARDS, _DOCUMENTS, _INBOX],
    identity.Role.AGENCY: [_PROJECTS, _INTAKE, _TEMPLATES, _EVALUATIONS, _AWARDS, _DOCUMENTS, _INBOX],
    identity.Role.BIDDER: [_NOTICES, _BIDS, _AWARDS, _TOKENS, _DOCUMENTS, _INBOX],
    identity.Role.EXPERT: [_INVITATIONS, _EVALUATIONS, _APPLY, _TWO_FACTOR, _INBOX],
    identity.Role.SUPERVISOR: [
        _PROJECTS,
        _NOTICES,
        _POOL,
        _EVALUATIONS,
        _AWARDS,
        _TWO_FACTOR,
        _DOCUMENTS,
        _INBOX,
        _EVIDENCE,
    ],
    identity.Role.AUDITOR: [_PROJECTS, _NOTICES, _TWO_FACTOR, _DOCUMENTS, _API, _EVIDENCE],
    identity.Role.ENTERPRISE: [_INBOX],
    identity.Role.SERVICE_MANAGER: [_INBOX],
    identity.Role.DEPARTMENT: [_INBOX],
    identity.Role.ISSUER: [_TOKENS, _API, _INBOX],
}


def _links(role: identity.Role) -> list[dict[str, object]]:
    links = []
    for link in [*DASHBOARD_LINKS.get(role, []), _ACCOUNT]:
        try:
            url = reverse(link.url_name) + link.anchor
        except NoReverseMatch:
            continue
        links.append({"label": link.label, "url": url})
    return links


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """A section per role the user holds in the active organisation."""
    principal = identity.principal_for(request)
    organisation = identity.get_organisation(principal.organisation_id) if principal.organisation_id else None
    roles = [role for role in identity.Role if principal.has_role(role)]
    context = {
        "organisation": organisation,
        "several_organisations": len(identity.roles_by_organisation(request.user)) > 1,  # type: ignore[arg-type]
        "sections": [{"role": role, "links": _links(role)} for role in roles],
    }
    return render(request, "web/dashboard.html", context)


_API_PREFIX = "/api/"
_ERROR_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found", 500: "server_error"}


def _error(request: HttpRequest, status: int) -> HttpResponse:
    """An error page in the user's language; under /api/ a problem document instead."""
    if request.path.startswith(_API_PREFIX):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have permission to do this."),
            404: _("There is no such API address; see /api/v1/docs."),
            500: _("Something went wrong on our side; it has been logged."),
        }
        return problem(status, _ERROR_CODES[status], str(messages[status]))
    return render(request, "web/error.html", {"status": status}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500)
