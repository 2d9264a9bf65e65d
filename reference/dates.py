"""The one bound on the dates partners and staff report: money, progress, deliveries.

A reported date lies between the programme's start (`Programme.started_on`, else
AID_RECORDS_EARLIEST_DATE) and today, or today plus a horizon for what is planned rather than
done (commitments). Outside it is a typo, such as 9999-12-31 or 1295-11-30, and is refused
with a field error before anything is written.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from reference.models import Programme


def earliest(programme: Programme | None) -> datetime.date:
    if programme is not None and programme.started_on is not None:
        return programme.started_on
    return datetime.date.fromisoformat(settings.AID_RECORDS_EARLIEST_DATE)


def check_reported_date(
    value: datetime.date,
    *,
    programme: Programme | None,
    field: str = "date",
    horizon_days: int = 0,
) -> None:
    """Refuse (ValidationError on `field`) a date before the programme began or after today
    plus `horizon_days`."""
    if value is None:
        return
    first = earliest(programme)
    last = timezone.localdate() + datetime.timedelta(days=horizon_days)
    if value < first:
        raise ValidationError(
            {
                field: [
                    _("The date cannot be before the programme began (%(first)s).")
                    % {"first": date_format(first, "Y-m-d")}
                ]
            }
        )
    if value > last:
        raise ValidationError(
            {
                field: [
                    _("The date cannot be after %(last)s.") % {"last": date_format(last, "Y-m-d")}
                ]
            }
        )
