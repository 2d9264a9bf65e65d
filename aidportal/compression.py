"""Compression of HTML and JSON responses (django-http-compression: zstd, brotli or gzip)."""

import re

from django_http_compression.middleware import HttpCompressionMiddleware


class CompressionMiddleware(HttpCompressionMiddleware):
    """Compresses every compressible response but those marked private or no-store: the admin
    and the sign-in pages, which carry a CSRF token, a TOTP key or recovery codes. BREACH
    guesses a secret from the compressed size of pages that also reflect the attacker's input;
    public pages hold no secret, and the library pads each compressed response with random bytes
    (Heal the Breach) besides."""

    # The library's list, plus the OpenAPI schema (166 KB, 19 KB compressed) and problem details.
    content_type_re = re.compile(
        r"^application/(?:vnd\.oai\.openapi(?:\+json)?|problem\+json)|"
        + HttpCompressionMiddleware.content_type_re.pattern,
        re.VERBOSE | re.IGNORECASE,
    )

    def maybe_compress(self, request, response) -> None:
        cache_control = response.get("Cache-Control", "").lower()
        if "private" in cache_control or "no-store" in cache_control:
            return
        super().maybe_compress(request, response)
