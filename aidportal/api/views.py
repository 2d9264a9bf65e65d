"""Behaviour every API view shares."""

from django.utils import translation
from django.utils.cache import patch_vary_headers


class RequestLanguageMixin:
    """Labels follow the caller's Accept-Language (or language cookie).

    The site's i18n_patterns pin every unprefixed URL, /api/v1/ included, to the default
    language; partner systems ask for a language by header, not by URL prefix.
    """

    def dispatch(self, request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
