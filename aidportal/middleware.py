"""Response headers Django has no setting for, and the methods no address accepts."""

from django.conf import settings
from django.http import HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _

# What some address of the site accepts; TRACE (echoing the request, cookies included) is none.
SITE_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


class PermissionsPolicyMiddleware:
    """Denies the browser features named in PERMISSIONS_POLICY to every page and its frames."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RefuseTraceMiddleware:
    """TRACE is a 405 everywhere: function views would otherwise answer it like a GET. Under
    /api/ the refusal is a problem document like every other API error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "TRACE":
            return self.get_response(request)
        if request.path.startswith("/api/"):
            from api.problems import CONTENT_TYPE, problem

            response = JsonResponse(
                problem(405, _("This address does not accept TRACE.")),
                status=405,
                content_type=CONTENT_TYPE,
            )
            response["Allow"] = ", ".join(SITE_METHODS)
            return response
        return HttpResponseNotAllowed(SITE_METHODS)
