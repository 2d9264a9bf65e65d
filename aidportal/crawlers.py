"""What search engines read: sitemap.xml (every public page and published project, in both
languages with their alternates) and robots.txt."""

from django.contrib.sitemaps import Sitemap
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from projects import selectors


class LanguagesSitemap(Sitemap):
    # One <url> per language, each listing the other as an alternate, and x-default (Chinese).
    i18n = True
    alternates = True
    x_default = True


class PublicPagesSitemap(LanguagesSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return [
            "projects:home",
            "projects:list",
            "projects:timeline",
            "funding:overview",
            "medical:overview",
            "education:overview",
            "data:index",
        ]

    def location(self, item):
        return reverse(item)


class ProjectSitemap(LanguagesSitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return selectors.published_projects().order_by("code")

    def location(self, item):
        return reverse("projects:detail", args=[item.code])

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {"pages": PublicPagesSitemap, "projects": ProjectSitemap}


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        "Disallow: /en/admin/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links; the icon lives with the static files.
    return HttpResponseRedirect(staticfiles_storage.url("icons/favicon.ico"))
