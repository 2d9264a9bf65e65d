"""Every list of /api/v1/ (and the details the list code shares) answers the demo byte for byte as
the golden files under tests/api/golden/ say, in both languages, anonymous and with partner keys,
with filters, orderings and cursor pages: a faster read path must not change a single byte.

The demo is loaded afresh by each test process, so the moments it was written at (created_at,
updated_at, recorded_at…) differ from run to run: each such moment, in a body or inside a cursor,
is written as its rank among them (`<now 3>`) before comparing. Everything else is compared as
sent. Regenerate the files only for a change of response that is meant:
`GOLDEN_WRITE=1 .venv/bin/python -m pytest -n 0 tests/api/test_golden.py`.
"""

import base64
import datetime
import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from api.keys import issue_api_key
from reference.models import Organisation

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("GOLDEN_WRITE") == "1"
LANGUAGES = ("en", "zh-hans")
HEADERS = ("Content-Type", "Content-Language", "Vary", "Link", "Allow")

# (name, path and query) of every request, per caller.
ANONYMOUS = [
    ("projects", "/api/v1/projects/?page_size=50"),
    ("projects-page2", "/api/v1/projects/?page_size=5&page=2"),
    ("projects-ordered", "/api/v1/projects/?ordering=-planned_investment&page_size=50"),
    ("projects-title", "/api/v1/projects/?ordering=title&field=livelihood"),
    ("projects-filtered", "/api/v1/projects/?status=implementation&category=health"),
    ("project-detail", "/api/v1/projects/HZSN-14-01/"),
    ("timeline", "/api/v1/timeline/?page_size=50"),
    ("timeline-year", "/api/v1/timeline/?year=2024"),
    ("updates", "/api/v1/updates/?page_size=50"),
    ("updates-cursor", "/api/v1/updates/?page_size=2"),
    ("organisations", "/api/v1/organisations/?page_size=50"),
    ("organisations-type", "/api/v1/organisations/?type=public_body"),
    ("places", "/api/v1/places/?page_size=50"),
    ("places-level", "/api/v1/places/?level=township"),
    ("programmes", "/api/v1/programmes/?page_size=50"),
    ("funding-entries", "/api/v1/funding/entries/?page_size=50"),
    ("funding-entries-cursor", "/api/v1/funding/entries/?page_size=7&type=disbursement"),
    ("funding-donations", "/api/v1/funding/donations/?page_size=50"),
    ("medical-lists", "/api/v1/medical/lists/?page_size=50"),
    ("medical-items", "/api/v1/medical/items/?page_size=50"),
    ("medical-items-page2", "/api/v1/medical/items/?page_size=10&page=2"),
    ("medical-items-status", "/api/v1/medical/items/?status=verified&category=equipment"),
    ("medical-claims", "/api/v1/medical/claims/?page_size=50"),
    ("education-programmes", "/api/v1/education/programmes/?page_size=50"),
    ("education-cohorts", "/api/v1/education/cohorts/?page_size=50"),
    ("changes", "/api/v1/changes/?page_size=50"),
    ("problems", "/api/v1/problems/"),
]
# The organisations whose keys see more than the public: a project partner, a claiming
# hospital and the host school of the sponsored classes.
KEYED = {
    "hz-aid-team": [
        ("updates", "/api/v1/updates/?page_size=50"),
        ("projects", "/api/v1/projects/?page_size=50"),
        ("webhooks", "/api/v1/webhooks/?page_size=50"),
        ("changes", "/api/v1/changes/?page_size=50"),
    ],
    "shangcheng-health": [
        ("medical-claims", "/api/v1/medical/claims/?page_size=50"),
        ("medical-items", "/api/v1/medical/items/?page_size=50"),
        ("changes", "/api/v1/changes/?page_size=50"),
    ],
    "tianma-school": [
        ("education-students", "/api/v1/education/students/?page_size=50"),
        ("education-results", "/api/v1/education/results/?page_size=50"),
    ],
}
CAPABILITIES = {
    "hz-aid-team": ["updates:write"],
    "shangcheng-health": ["medical:claim"],
    "tianma-school": ["education:results"],
}

# An ISO 8601 moment with its fraction of a second, as DRF writes auto_now/auto_now_add values.
MOMENT = re.compile(r"\d{4}-\d\d-\d\d([T ])\d\d:\d\d:\d\d(?:\.\d+)?([+-]\d\d:\d\d|Z)")
CURSOR = re.compile(r"([?&](?:cursor|after)=)([^&\"\s>]+)")


class Moments:
    """Writes each moment the demo was loaded at (today's) as its rank among them."""

    def __init__(self, texts: list[str]) -> None:
        today = timezone.localdate()
        days = {(today + timezone.timedelta(days=delta)).isoformat() for delta in (-1, 0, 1)}
        found = set()
        for text in texts:
            for match in MOMENT.finditer(self._decoded_cursors(text)):
                if match[0][:10] in days:
                    found.add(datetime.datetime.fromisoformat(match[0]))
        # Ranked by the instant, whatever zone it is written in; the token keeps how it was.
        self.ranks = {moment: rank for rank, moment in enumerate(sorted(found), start=1)}

    @staticmethod
    def _decode(value: str) -> str:
        try:
            return base64.b64decode(unquote(value)).decode()
        except ValueError:
            return value

    def _decoded_cursors(self, text: str) -> str:
        return CURSOR.sub(lambda match: match[1] + self._decode(match[2]), text)

    def _moments(self, text: str) -> str:
        def rank(match: re.Match[str]) -> str:
            moment = datetime.datetime.fromisoformat(match[0])
            if moment not in self.ranks:
                return match[0]
            return f"<now {self.ranks[moment]}{match[1].strip() or '_'}{match[2]}>"

        return MOMENT.sub(rank, text)

    def normalise(self, text: str) -> str:
        def cursor(match: re.Match[str]) -> str:
            decoded = self._decode(match[2])
            if decoded == match[2]:
                return match[0]
            # Keep the cursor's own fields and their order, with the moments ranked.
            fields = urlencode(
                [(key, self._moments(value)) for key, value in parse_qsl(decoded)]
                if "=" in decoded
                else [("position", self._moments(decoded))]
            )
            return f"{match[1]}<cursor {fields}>"

        return self._moments(CURSOR.sub(cursor, text))


def _record(response) -> str:
    lines = [f"status: {response.status_code}"]
    lines += [f"{name}: {response[name]}" for name in HEADERS if response.has_header(name)]
    return "\n".join(lines) + "\n\n" + response.content.decode() + "\n"


def _responses(clients: dict[str, Client]) -> dict[str, str]:
    recorded = {}
    for caller, requests in [("anonymous", ANONYMOUS), *KEYED.items()]:
        client = clients[caller]
        for name, url in requests:
            for language in LANGUAGES:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
                assert response.status_code == 200, (url, response.content[:300])
                recorded[f"{caller}/{name}.{language}"] = _record(response)
                body = response.json() if response.content else {}
                # The next cursor page too, for the lists that page by cursor.
                following = body.get("next") if isinstance(body, dict) else None
                if following and ("cursor=" in following or "after=" in following):
                    split = urlsplit(following)
                    response = client.get(
                        f"{split.path}?{split.query}", HTTP_ACCEPT_LANGUAGE=language
                    )
                    assert response.status_code == 200, (following, response.content[:300])
                    recorded[f"{caller}/{name}-next.{language}"] = _record(response)
    return recorded


@pytest.mark.django_db
def test_list_responses_are_byte_identical_to_the_golden_files(demo_data):
    clients: dict[str, Client] = {"anonymous": Client()}
    for code, capabilities in CAPABILITIES.items():
        organisation = Organisation.objects.get(code=code)
        key = issue_api_key(organisation=organisation, name="golden", capabilities=capabilities)[1]
        clients[code] = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    recorded = _responses(clients)
    # Each body is checked to be JSON as sent; the comparison is of the text.
    for text in recorded.values():
        json.loads(text.split("\n\n", 1)[1])
    moments = Moments(list(recorded.values()))
    normalised = {name: moments.normalise(text) for name, text in recorded.items()}
    if WRITE:
        for name, text in normalised.items():
            path = GOLDEN / f"{name}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        pytest.fail("Golden files rewritten: read `git diff tests/api/golden`, then run again.")
    expected = {
        str(path.relative_to(GOLDEN).with_suffix("")): path.read_text(encoding="utf-8")
        for path in sorted(GOLDEN.glob("*/*.txt"))
    }
    assert sorted(normalised) == sorted(expected)
    different = [name for name in normalised if normalised[name] != expected[name]]
    assert not different, different
