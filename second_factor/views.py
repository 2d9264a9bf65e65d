"""The second step of the staff sign-in: enrolling an authenticator, and entering a code."""

import segno
from django.contrib import admin
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from second_factor import services
from second_factor.forms import CodeForm

WRONG = {
    False: gettext_lazy("That code is not right. Type the code your authenticator app shows now."),
    True: gettext_lazy("Too many wrong codes in a row: wait a few seconds, then try again."),
}


def next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def page(request, template, title, **context):
    context.update(
        site_header=admin.site.site_header,
        site_title=admin.site.site_title,
        title=title,
        next=next_url(request),
    )
    return render(request, template, context)


def step(name: str, request) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url(request)})}"


def wrong_code(request, form, error: services.WrongCode) -> bool:
    """A wrong code counts as a failed sign-in for the lockout (django-axes): after too many the
    user is signed out and the username is locked as after wrong passwords. True then."""
    form.add_error("code", WRONG[error.throttled])
    user_login_failed.send(
        sender=__name__, credentials={"username": request.user.get_username()}, request=request
    )
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return True
    return False


@never_cache
@sensitive_post_parameters("code")
@login_required
def enrol(request):
    """First sign-in of someone who must use a second factor, or anyone enrolling by choice."""
    if services.authenticator_of(request.user) is not None:
        return redirect(step("second_factor:verify", request))
    device = services.start_enrolment(user=request.user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            codes = services.confirm_enrolment(
                request=request, device=device, code=form.cleaned_data["code"]
            )
        except services.WrongCode as error:
            if wrong_code(request, form, error):
                return redirect("admin:login")  # django-axes answers with its lockout page
        else:
            return page(
                request,
                "second_factor/recovery_codes.html",
                _("Your recovery codes"),
                codes=codes,
            )
    qr = segno.make(device.config_url, error="m")
    return page(
        request,
        "second_factor/enrol.html",
        _("Set up your second factor"),
        form=form,
        required=services.requires_second_factor(request.user),
        qr=mark_safe(  # segno writes the SVG from the otpauth URL: no user text in it
            qr.svg_inline(scale=4, border=2, dark="#000", light="#fff", svgclass="qr-code")
        ),
        secret=services.secret_of(device),
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def verify(request):
    """The code after the password, from the authenticator or a recovery code."""
    if services.is_verified(request.user):
        return redirect(next_url(request))
    if services.authenticator_of(request.user) is None:
        if services.requires_second_factor(request.user):
            return redirect(step("second_factor:enrol", request))
        return redirect(next_url(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            services.verify_second_factor(request=request, code=form.cleaned_data["code"])
        except services.WrongCode as error:
            if wrong_code(request, form, error):
                return redirect("admin:login")  # django-axes answers with its lockout page
        else:
            return redirect(next_url(request))
    return page(request, "second_factor/verify.html", _("Enter your code"), form=form)


@never_cache
@login_required
def recovery_codes(request):
    """New recovery codes for a signed-in, verified user; the old ones stop working."""
    if not services.is_verified(request.user):
        return redirect(step("second_factor:verify", request))
    if request.method == "POST":
        codes = services.new_recovery_codes(user=request.user)
        return page(
            request, "second_factor/recovery_codes.html", _("Your recovery codes"), codes=codes
        )
    return page(request, "second_factor/new_recovery_codes.html", _("New recovery codes"))
