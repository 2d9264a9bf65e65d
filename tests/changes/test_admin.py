"""Organisations' endpoints in the admin: registered through the service, a disabled one says
why, and re-enabling delivers again from where it stopped."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from changes.models import Event, WebhookEndpoint
from changes.services import register_endpoint
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root"))
    return client


def test_an_endpoint_added_in_the_admin_gets_a_secret_and_starts_at_the_latest_event(
    admin_client, settled
):
    ProjectFactory()
    settled()
    organisation = OrganisationFactory()

    response = admin_client.post(
        "/en/admin/changes/webhookendpoint/add/",
        {
            "organisation": organisation.pk,
            "url": "https://hooks.example.org/aid",
            "event_types": '["project.updated"]',
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.delivered_position == Event.objects.order_by("position").last().position


def test_an_unknown_event_type_is_a_form_error(admin_client):
    response = admin_client.post(
        "/en/admin/changes/webhookendpoint/add/",
        {
            "organisation": OrganisationFactory().pk,
            "url": "https://hooks.example.org/aid",
            "event_types": '["project.exploded"]',
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "Unknown event types: project.exploded." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_disabled_endpoint_says_why_and_can_be_enabled_again(admin_client):
    endpoint = register_endpoint(
        organisation=OrganisationFactory(), url="https://hooks.example.org/aid", event_types=["*"]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=timezone.now(),
        failures=10,
        disabled_reason="Disabled after 10 failed deliveries in a row; the last: HTTP 500.",
    )

    listing = admin_client.get("/en/admin/changes/webhookendpoint/").content.decode()
    assert "disabled: Disabled after 10 failed deliveries in a row; the last: HTTP 500." in listing

    admin_client.post(
        "/en/admin/changes/webhookendpoint/",
        {"action": "enable", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.failures, endpoint.disabled_reason) == (True, 0, "")
