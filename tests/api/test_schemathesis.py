"""Schemathesis against the schema a live test server serves: no 5xx, and every answer is one the
schema documents (status code, content type, body). Bounded and derandomized, so CI stays fast and
every run sends the same requests.
"""

import pytest
import schemathesis
from _pytest import nodes
from _pytest.nodeid import coerce_node_id
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.capabilities import EDUCATION_RESULTS, MEDICAL_CLAIM, UPDATES_WRITE
from api.keys import issue_api_key
from projects.models import ProgressUpdate, Project, TimelineEvent
from reference.models import Organisation, Place, Programme

# schemathesis 4.32.5's from_fixture names each operation's subtest through `node._nodeid`, which
# pytest 9.2 replaced with `node._id`; map the old name onto the new one until schemathesis does.
if pytest.version_tuple >= (9, 2) and "_nodeid" not in vars(nodes.Node):
    nodes.Node._nodeid = property(
        lambda node: node.nodeid,
        lambda node, value: setattr(node, "_id", coerce_node_id(value)),
    )

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A participant in the demo's housing projects, so that its key's writes can succeed.
PARTNER = "seni-housing"

FUZZ = settings(
    max_examples=20,
    phases=[Phase.explicit, Phase.generate],  # explicit carries schemathesis' coverage cases
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def _real_identifiers() -> dict[str, list]:
    """Identifiers of demo records per path, so that fuzzing reaches past the 404 of a random id."""
    return {
        "/api/v1/projects/{code}/": list(Project.objects.values_list("code", flat=True)),
        "/api/v1/organisations/{code}/": list(Organisation.objects.values_list("code", flat=True)),
        "/api/v1/places/{id}/": list(Place.objects.values_list("pk", flat=True)),
        "/api/v1/programmes/{code}/": list(Programme.objects.values_list("code", flat=True)),
        "/api/v1/timeline/{id}/": list(TimelineEvent.objects.values_list("pk", flat=True)),
        "/api/v1/updates/{id}/": list(ProgressUpdate.objects.values_list("pk", flat=True)),
    }


@pytest.fixture
def api_schema(live_server, settings, demo_data):
    # Fuzzing sends hundreds of requests a minute; throttling has its own tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anonymous": "100000/minute", "caller": "100000/minute"},
    }
    loaded = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    identifiers = _real_identifiers()
    partner_projects = sorted(
        Project.objects.filter(participants__organisation__code=PARTNER).values_list(
            "code", flat=True
        )
    )

    @loaded.hook
    def flatmap_path_parameters(context, path_parameters):
        # Half real records, half whatever was generated.
        known = identifiers.get(context.operation.path)
        if not known or len(path_parameters) != 1:
            return st.just(path_parameters)
        (name,) = path_parameters
        return st.one_of(
            st.just(path_parameters), st.sampled_from(known).map(lambda value: {name: value})
        )

    @loaded.hook
    def flatmap_body(context, body):
        # A project the partner takes part in, so that some creates get as far as the service.
        if not isinstance(body, dict) or "project" not in body:
            return st.just(body)
        return st.one_of(
            st.just(body),
            st.sampled_from(partner_projects).map(lambda code: {**body, "project": code}),
        )

    return loaded


@pytest.fixture
def partner_headers(api_schema):
    organisation = Organisation.objects.get(code=PARTNER)
    # Every capability a programme's staff grant without a finance approver.
    key = issue_api_key(
        organisation=organisation,
        name="schemathesis",
        capabilities=[UPDATES_WRITE, MEDICAL_CLAIM, EDUCATION_RESULTS],
    )[1]
    return {"Authorization": f"Bearer {key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
@pytest.mark.django_db(transaction=True)
def test_anonymous_callers_get_only_documented_answers(case):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db(transaction=True)
def test_a_partner_key_gets_only_documented_answers(case, partner_headers):
    case.call_and_validate(headers=partner_headers, checks=CHECKS)
