"""The API's one body parser: JSON, with a limit on how deeply it may nest.

No request of this API nests more than a few levels; a body nested thousands of levels deep is
refused as a 400 before anything walks it (Python's parser would otherwise exhaust the stack).
"""

from collections.abc import Iterable, Mapping
from typing import IO, Any, NoReturn

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body the API takes (an object of bilingual texts is 2 levels), small enough
# that nothing downstream recurses far.
MAX_DEPTH = 32


class TooDeeplyNested(ParseError):
    default_code = "too-deeply-nested"


def _refuse() -> NoReturn:
    raise TooDeeplyNested(
        _("The JSON body nests more than %(depth)d levels deep.") % {"depth": MAX_DEPTH},
        code="too-deeply-nested",
    )


def check_depth(data: object) -> None:
    """Refuse data nested more than MAX_DEPTH levels, walking it without recursion."""
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        children: Iterable[object]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            _refuse()
        pending.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            _refuse()
        check_depth(data)
        return data
