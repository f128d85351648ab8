"""Pages: sign-in (password, then one-time code), authenticator set-up, sign-out and the
account page (profile, language, organisations, API tokens). Thin: forms validate, services
decide, the session module keeps the sign-in state. Every page works without JavaScript.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from io import BytesIO
from typing import Any, TypeVar

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from yingshang.identity import selectors, services, session
from yingshang.identity.forms import CodeForm, OrganisationSwitchForm, ProfileForm, SignInForm, TokenForm
from yingshang.identity.models import User
from yingshang.kernel.clock import SHANGHAI
from yingshang.kernel.errors import DomainError, NotFound

BACKEND = "yingshang.identity.backends.PasswordBackend"


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _form_error(form: Any, error: DomainError) -> None:
    """Attach a service error to the form: to the field it names, else to the whole form."""
    details = [d for d in error.details if d.get("field") in form.fields]
    if details:
        for detail in details:
            form.add_error(detail["field"], detail.get("message") or str(error))
    else:
        form.add_error(None, str(error))


def _complete_sign_in(
    request: HttpRequest, user: User, *, second_factor: bool, next_url: str
) -> HttpResponse:
    login(request, user, backend=BACKEND)
    session.clear_pending(request)
    request.session.pop(session.CERTIFICATE, None)  # a password sign-in carries no certificate
    if second_factor:
        session.mark_second_factor(request)
    organisation_id = selectors.default_organisation_id(user.pk)
    if organisation_id is not None:
        session.set_active_organisation(request, organisation_id)
    return _with_language(HttpResponseRedirect(next_url), user.preferred_language)


R = TypeVar("R", bound=HttpResponse)


def _with_language(response: R, language: str) -> R:
    """The response, setting the language cookie to the user's preference."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    state = session.pending(request)
    if state is None:
        return None
    user_id = state.get("user_id")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    return (user, state) if user is not None else None


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = services.sign_in_with_password(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    client_address=_client_address(request),
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                if not result.needs_second_factor:
                    return _complete_sign_in(request, result.user, second_factor=False, next_url=next_url)
                if request.user.is_authenticated:
                    logout(request)
                session.start_pending(request, user_id=result.user.pk, next_url=next_url)
                step = "identity:sign_in_code" if result.has_device else "identity:two_factor"
                return redirect(step)
    return render(request, "identity/sign_in.html", {"form": form, "next": next_url}, status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step: the one-time code of a user whose password was correct."""
    found = _pending_user(request)
    if found is None:
        messages.warning(request, _("Your sign-in took too long or has not started; please sign in again."))
        return redirect("identity:sign_in")
    user, state = found
    if selectors.confirmed_device(user.pk) is None:
        return redirect("identity:two_factor")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.verify_second_factor(
                    user=user, code=form.cleaned_data["code"], client_address=_client_address(request)
                )
            except DomainError as error:
                form.add_error("code", str(error))
            else:
                return _complete_sign_in(
                    request, user, second_factor=True, next_url=_safe_next(request, state.get("next"))
                )
    return render(request, "identity/sign_in_code.html", {"form": form, "pending_user": user}, status=status)


def _qr_svg(uri: str) -> SafeString:
    """The ``otpauth://`` URI as an inline SVG QR code (no script, no external image)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration
    svg = re.sub(r'width="[^"]*" height="[^"]*"', 'width="240" height="240"', svg, count=1)
    svg = svg.replace("<svg", '<svg role="img" aria-labelledby="qr-title"', 1)
    title = _("QR code for your authenticator app")
    svg = svg.replace(">", f'><title id="qr-title">{title}</title>', 1)
    return mark_safe(svg)  # noqa: S308  (generated by qrcode from our own URI, no user markup)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: start, scan the QR code (or type the secret), confirm with
    a code. Reachable signed in or half-signed-in (a role that needs a second factor)."""
    pending = None if request.user.is_authenticated else _pending_user(request)
    if request.user.is_authenticated:
        user: User = request.user
    elif pending is not None:
        user = pending[0]
    else:
        return redirect(f"{reverse('identity:sign_in')}?next={reverse('identity:two_factor')}")
    device = selectors.confirmed_device(user.pk)
    if device is not None and pending is not None:
        return redirect("identity:sign_in_code")
    form = CodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start" and device is None:
            services.enrol_totp(user=user)
            return redirect("identity:two_factor")
        if action == "confirm" and form.is_valid():
            try:
                services.confirm_totp(user=user, code=form.cleaned_data["code"])
            except DomainError as error:
                _form_error(form, error)
            else:
                if pending is not None:
                    next_url = _safe_next(request, pending[1].get("next"))
                    return _complete_sign_in(request, user, second_factor=True, next_url=next_url)
                session.mark_second_factor(request)
                messages.success(request, _("Your authenticator app is set up."))
                return redirect("identity:account")
        status = 400
    enrolment = selectors.pending_totp_enrolment(user) if device is None else None
    context = {
        "form": form,
        "device": device,
        "enrolment": enrolment,
        "qr_svg": _qr_svg(enrolment.uri) if enrolment else None,
        "required": selectors.holds_second_factor_role(user.pk),
        "half_signed_in": pending is not None,
        "disable_form": CodeForm(prefix="disable"),
    }
    return render(request, "identity/two_factor.html", context, status=status)


@sensitive_post_parameters("disable-code")
@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST, prefix="disable")
    if form.is_valid():
        try:
            services.disable_totp(user=request.user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except DomainError as error:
            _form_error(form, error)
        else:
            request.session.pop(session.SECOND_FACTOR, None)
            messages.success(request, _("Your authenticator app is turned off."))
            return redirect("identity:two_factor")
    user: User = request.user  # type: ignore[assignment]
    context = {
        "form": CodeForm(),
        "device": selectors.confirmed_device(user.pk),
        "enrolment": None,
        "qr_svg": None,
        "required": selectors.holds_second_factor_role(user.pk),
        "half_signed_in": False,
        "disable_form": form,
    }
    return render(request, "identity/two_factor.html", context, status=400)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- account ------------------------------------------------------------------------------------


def _organisation_choices(user: User) -> list[tuple[int, str]]:
    return [
        (entry.organisation.pk, entry.organisation.name) for entry in selectors.roles_by_organisation(user.pk)
    ]


def _token_form(user: User, data: Any = None) -> TokenForm:
    scope_choices = [
        (f"{context}:{level}", f"{context}:{level}")
        for context in services.token_contexts()
        for level in ("read", "write")
    ]
    organisations: list[tuple[int | str, str]] = [("", _("My first organisation at each call"))]
    organisations += _organisation_choices(user)
    return TokenForm(
        data,
        scope_choices=scope_choices,
        organisation_choices=organisations,
        max_days=services.max_token_lifetime().days,
    )


def _account_context(request: HttpRequest, **overrides: Any) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    memberships = selectors.roles_by_organisation(user.pk)
    active = selectors.principal_for_user(
        user, organisation_id=session.active_organisation_id(request)
    ).organisation_id
    context: dict[str, Any] = {
        "profile_form": ProfileForm(
            initial={
                "display_name": user.display_name,
                "phone": user.phone,
                "preferred_language": user.preferred_language,
            }
        ),
        "memberships": memberships,
        "active_organisation_id": active,
        "switch_form": OrganisationSwitchForm(
            initial={"organisation": active}, choices=_organisation_choices(user)
        ),
        "tokens": selectors.tokens_of(user.pk),
        "token_form": _token_form(user),
        "new_token": None,
        "device": selectors.confirmed_device(user.pk),
        "now": datetime.now(tz=SHANGHAI),
    }
    context.update(overrides)
    return context


@login_required
@never_cache
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/account.html", _account_context(request))


@login_required
@require_POST
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user = services.update_profile(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return _with_language(redirect("identity:account"), user.preferred_language)
    return render(request, "identity/account.html", _account_context(request, profile_form=form), status=400)


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = OrganisationSwitchForm(request.POST, choices=_organisation_choices(user))
    if form.is_valid():
        session.set_active_organisation(request, form.cleaned_data["organisation"])
        messages.success(request, _("You now act for the organisation you chose."))
        return redirect("identity:account")
    return render(request, "identity/account.html", _account_context(request, switch_form=form), status=400)


@login_required
@require_POST
@never_cache
def create_token(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = _token_form(user, request.POST)
    if form.is_valid():
        organisation_id = form.cleaned_data["organisation"]
        organisation = next(
            (
                m.organisation
                for m in selectors.roles_by_organisation(user.pk)
                if m.organisation.pk == organisation_id
            ),
            None,
        )
        # Valid through the chosen day, Beijing time.
        day_after = form.cleaned_data["expires_on"] + timedelta(days=1)
        expires_at = datetime.combine(day_after, time.min, tzinfo=SHANGHAI)
        try:
            created = services.create_api_token(
                user=user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=expires_at,
                organisation=organisation,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            # Shown in this response only; the page is not cached and the secret is not stored.
            return render(request, "identity/account.html", _account_context(request, new_token=created))
    return render(request, "identity/account.html", _account_context(request, token_form=form), status=400)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.revoke_api_token(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    except NotFound as error:
        raise Http404(str(error)) from error
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("identity:account")
