"""The API's JSON renderer: orjson writes the bytes DRF's JSONRenderer writes (compact, UTF-8,
U+2028 and U+2029 escaped), several times faster; anything orjson cannot write as DRF would
(indentation asked for, a number beyond 64 bits) goes to DRF's own renderer."""

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


class _NotAsDrfWrites(Exception):
    """A value orjson would write differently from json.dumps: DRF's renderer writes the whole
    answer instead."""


_encoder = JSONEncoder()


def _default(value: Any) -> Any:
    converted = _encoder.default(value)
    # DRF turns a Decimal into a float; json.dumps and orjson may spell a float differently.
    if isinstance(converted, float):
        raise _NotAsDrfWrites
    return converted


class JSONRenderer(DrfJSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if (
            self.get_indent(accepted_media_type or "", renderer_context or {}) is not None
            or not self.compact
            or self.ensure_ascii
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_default, option=OPTIONS)
        except (orjson.JSONEncodeError, _NotAsDrfWrites):
            return super().render(data, accepted_media_type, renderer_context)
        # DRF escapes the two line separators JavaScript does not allow in a string literal.
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
