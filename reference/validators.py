"""Validators every app's titles and names share."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Characters that change how text is displayed without showing themselves: the bidirectional
# embeddings, overrides and isolates (a name can then read differently from what it says, as
# in CVE-2021-42574 "Trojan Source"), and the zero-width spaces, joiners, marks and the BOM
# (two names that look the same but differ).
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def no_invisible_controls(value: str) -> None:
    """Refuse a title or name holding a bidirectional control or zero-width character."""
    found = INVISIBLE.search(value or "")
    if found:
        character = found.group()
        raise ValidationError(
            _(
                "Remove the invisible character U+%(code)04X (%(name)s) at position "
                "%(position)d: it changes how the text is shown without being seen."
            ),
            code="invisible_character",
            params={
                "code": ord(character),
                "name": unicodedata.name(character, "control"),
                "position": found.start() + 1,
            },
        )
