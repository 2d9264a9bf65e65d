from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from aidportal.crawlers import SITEMAPS, favicon, robots_txt
from aidportal.health import healthz
from aidportal.metrics import metrics
from opendata import data_urls

admin.site.site_header = _("AidPortal administration")
admin.site.site_title = _("AidPortal")
admin.site.index_title = _("Records")

# Under /api/ even a wrong address answers in problem+json.
handler404 = "api.problems.not_found"
handler500 = "api.problems.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", favicon, name="favicon"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("api/v1/", include("api.urls")),
    path("", include("opendata.urls")),
    path("data/", include(data_urls.files)),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Chinese at /, English at /en/: every page has a stable, shareable address per language.
urlpatterns += i18n_patterns(
    path("admin/second-factor/", include("second_factor.urls")),
    path("admin/", admin.site.urls),
    path("", include("projects.urls")),
    path("funding/", include("funding.urls")),
    path("medical/", include("medical.urls")),
    path("education/", include("education.urls")),
    path("data/", include("opendata.data_urls")),
    prefix_default_language=False,
)

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
