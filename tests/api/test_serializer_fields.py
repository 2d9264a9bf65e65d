"""The API's output serializers build their fields once per class (core.rest.FieldsOnceMixin)
and give every answer copies of them: nothing one answer binds (its host, its language, its
caller) reaches the next."""

import pytest
from django.test import Client
from django.utils import translation

from reference.models import Place
from tests.factories import PlaceFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/projects/", "/api/v1/projects/HZ-1/", "/api/v1/organisations/"]
)
def test_answers_in_turn_to_two_hosts_and_two_languages_keep_their_own(path):
    place = PlaceFactory(name_en="Seni", name_zh_hans="色尼区", level=Place.Level.DISTRICT)
    project = ProjectFactory(code="HZ-1", place=place)
    organisation = project.programme.donor
    answers = {}
    for _round in range(3):
        for host in ("localhost", "127.0.0.1"):
            for language in ("en", "zh-hans"):
                response = Client(HTTP_HOST=host).get(path, HTTP_ACCEPT_LANGUAGE=language)
                assert response.status_code == 200, response.content
                body = response.json()
                answers.setdefault((host, language), body)
                # The same request again, after the others: the same answer.
                assert body == answers[(host, language)]

    for (host, language), body in answers.items():
        row = body if "code" in body and "results" not in body else body["results"][0]
        if "url" in row:
            assert row["url"].startswith(f"http://{host}/api/v1/")
        if path.startswith("/api/v1/projects/"):
            with translation.override(language):
                district, status = Place.Level.DISTRICT.label, project.Status(project.status).label
                assert (row["place"]["level_label"], row["status_label"]) == (
                    str(district),
                    str(status),
                )
        else:
            assert any(result["code"] == organisation.code for result in body["results"])
