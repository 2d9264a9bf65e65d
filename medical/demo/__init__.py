"""Load the demo medical file (demo/hangzhou_seni_medical.yaml): the claiming institutions, three
open-call lists taken through their whole cycle by `medical.services`, bulletins, free clinics,
the 抬头挺胸 batches and the hospital firsts.

Everything is read and checked first (`parsing`), the file's totals against the figures the
report states included; only then is anything written (`writing`). Records are found by their
natural key and saved only when a value differs, and a list that already exists is not taken
through its cycle again, so a second load writes nothing. Any error raises DemoDataError and the
whole load rolls back.
"""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from core.demo import Counts, DemoDataError, read
from medical.demo import parsing, writing
from reference.models import Organisation, Programme

DEFAULT_PATH = Path(settings.BASE_DIR) / "demo" / "hangzhou_seni_medical.yaml"


@transaction.atomic
def load_demo(path: Path | None = None) -> Counts:
    """Load the demo medical file; return created/updated/unchanged counts per model."""
    document = read(Path(path) if path else DEFAULT_PATH)
    try:
        programme = Programme.objects.get(code=document.get("programme"))
    except Programme.DoesNotExist:
        raise DemoDataError(
            f"programme {document.get('programme')!r} is not loaded: load the projects first."
        ) from None
    known = {o.code: o for o in Organisation.objects.all()}
    parsed = parsing.parse(document, known=known)
    return writing.write(parsed, programme=programme, known=known).as_dict()
