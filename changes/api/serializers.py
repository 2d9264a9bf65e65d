from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers import StrictInputMixin
from changes.models import Event, WebhookEndpoint
from changes.records import event_types
from core.rest import ModelSerializer
from reference.models import Organisation


class EventSerializer(ModelSerializer):
    cursor = serializers.SerializerMethodField(
        help_text="Pass as `?after=` to read the events after this one."
    )
    url = serializers.SerializerMethodField(help_text="The record's address in this API.")

    class Meta:
        model = Event
        fields = ["cursor", "type", "resource", "resource_id", "url", "at", "changed_fields"]

    def get_cursor(self, event) -> str:
        from changes.api.views import encode_cursor

        return encode_cursor(event.position)

    def get_url(self, event) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(event.path) if request else event.path


class ChangesPageSerializer(serializers.Serializer):
    """For the schema: one page of the feed."""

    results = EventSerializer(many=True)
    next_cursor = serializers.CharField(
        help_text="The cursor after this page's last event (the one given when it is empty): "
        "keep it and ask again later for what happens next."
    )
    next = serializers.URLField(help_text="The address of the next page.")
    has_more = serializers.BooleanField(help_text="More events are there already.")


class WebhookEndpointSerializer(ModelSerializer):
    organisation = serializers.SlugRelatedField[Organisation](slug_field="code", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organisation",
            "url",
            "event_types",
            "created_at",
            "active",
            "failures",
            "disabled_at",
            "disabled_reason",
        ]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The answer to a registration: the only time the signing secret is given."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInputSerializer(StrictInputMixin, serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=60), min_length=1, max_length=100
    )

    def validate_event_types(self, value):
        known = set(event_types())
        unknown = sorted(name for name in value if name != "*" and name not in known)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
            )
        return list(dict.fromkeys(value))
