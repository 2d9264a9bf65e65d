"""Sends a signed-in user who must confirm a second factor to enrolment or to code entry before
any admin page. Runs after django-otp's OTPMiddleware, which tells whether the session is
verified."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from second_factor import services

# Admin pages an unverified user may still open: signing in and signing out.
OPEN_ADMIN_VIEWS = {"login", "logout"}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or "admin" not in match.namespaces or match.url_name in OPEN_ADMIN_VIEWS:
            return None
        user = request.user
        if not user.is_authenticated or services.is_verified(user):
            return None
        if services.authenticator_of(user) is not None:
            step = "second_factor:verify"
        elif services.requires_second_factor(user):
            step = "second_factor:enrol"
        else:
            return None
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
