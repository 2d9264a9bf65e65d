"""Schemathesis against the schema a live test server serves, with every check it has (server
errors, documented status codes, content types, bodies and headers, negative data refused,
positive data accepted, required headers, methods, auth, links), positive and negative data, as
three callers: anonymous, a claiming institution's key and a school's key. Operation by operation,
then as chains of calls along the links the schema declares. Bounded and derandomized, so CI stays
fast and every run sends the same requests.
"""

import pytest
import schemathesis
from _pytest import nodes
from _pytest.nodeid import coerce_node_id
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.config import GenerationConfig
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.generation import GenerationMode

from api.capabilities import EDUCATION_RESULTS, MEDICAL_CLAIM
from api.keys import issue_api_key
from education.models import Cohort, Student
from medical.models import CallItem, CallList, Claim
from projects.models import ProgressUpdate, Project, TimelineEvent
from reference.models import Organisation, Place, Programme

# schemathesis 4.32.5's from_fixture names each operation's subtest through `node._nodeid`, which
# pytest 9.2 replaced with `node._id`; map the old name onto the new one until schemathesis does.
if pytest.version_tuple >= (9, 2) and "_nodeid" not in vars(nodes.Node):
    nodes.Node._nodeid = property(
        lambda node: node.nodeid,
        lambda node, value: setattr(node, "_id", coerce_node_id(value)),
    )

# A health institution of the donor city, which claims (揭榜) medical items.
CLAIMANT = "shangcheng-health"
# The host school of the demo's sponsored class, which records its students' results.
SCHOOL = "tianma-school"

# Valid requests the schema cannot tell apart from refused ones, each a rule no schema states:
# 400 for a date in the future, a page past the last one or a project the caller's organisation
# has no part in; 412 and 422 for an ETag or Idempotency-Key an earlier generated call used.
ACCEPTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "422", "429"]

FUZZ = settings(
    max_examples=8,
    phases=[Phase.explicit, Phase.generate],  # explicit carries schemathesis' coverage cases
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
STATEFUL = settings(
    max_examples=15,
    stateful_step_count=6,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
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
        "/api/v1/medical/lists/{id}/": list(CallList.objects.values_list("pk", flat=True)),
        "/api/v1/medical/items/{id}/": list(CallItem.objects.values_list("pk", flat=True)),
        "/api/v1/medical/items/{id}/claim/": list(CallItem.objects.values_list("pk", flat=True)),
        "/api/v1/medical/claims/{id}/": list(Claim.objects.values_list("pk", flat=True)),
        "/api/v1/education/cohorts/{id}/": list(Cohort.objects.values_list("pk", flat=True)),
        "/api/v1/education/students/{public_id}/": list(
            Student.objects.values_list("public_id", flat=True)
        ),
    }


@pytest.fixture
def api_schema(live_server, settings, demo_data):
    # Fuzzing sends hundreds of requests a minute; throttling has its own tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anonymous": "100000/minute", "caller": "100000/minute"},
    }
    loaded = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    loaded.config.generation = GenerationConfig(modes=list(GenerationMode))
    loaded.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=ACCEPTED
    )
    identifiers = _real_identifiers()

    @loaded.hook
    def flatmap_path_parameters(context, path_parameters):
        # Half real records, half whatever was generated.
        known = identifiers.get(context.operation.path)
        # A step along a link may come with no path parameters of its own.
        if not known or not path_parameters or len(path_parameters) != 1:
            return st.just(path_parameters)
        (name,) = path_parameters
        return st.one_of(
            st.just(path_parameters), st.sampled_from(known).map(lambda value: {name: value})
        )

    return loaded


def _key(code: str, capability: str) -> dict:
    organisation = Organisation.objects.get(code=code)
    key = issue_api_key(organisation=organisation, name="schemathesis", capabilities=[capability])
    return {"Authorization": f"Bearer {key[1]}"}


@pytest.fixture
def anonymous_headers(api_schema):
    return {}


@pytest.fixture
def claimant_headers(api_schema):
    return _key(CLAIMANT, MEDICAL_CLAIM)


@pytest.fixture
def school_headers(api_schema):
    return _key(SCHOOL, EDUCATION_RESULTS)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
@pytest.mark.django_db(transaction=True)
def test_anonymous_callers_get_only_documented_answers(case, anonymous_headers):
    case.call_and_validate(headers=anonymous_headers)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db(transaction=True)
def test_a_claiming_institutions_key_gets_only_documented_answers(case, claimant_headers):
    case.call_and_validate(headers=claimant_headers)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db(transaction=True)
def test_a_schools_key_gets_only_documented_answers(case, school_headers):
    case.call_and_validate(headers=school_headers)


@pytest.mark.parametrize("caller", ["anonymous", "claimant", "school"])
@pytest.mark.django_db(transaction=True)
def test_chains_of_calls_along_the_links_give_only_documented_answers(request, api_schema, caller):
    caller_headers = request.getfixturevalue(f"{caller}_headers")
    machine = api_schema.as_state_machine()

    class Caller(machine):
        def get_call_kwargs(self, case):
            return {"headers": caller_headers}

    Caller.run(settings=STATEFUL)
