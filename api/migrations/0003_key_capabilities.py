import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# The codes as they stood when this migration was written.
CONVERTED = ["updates:write", "medical:claim", "education:results"]


def scope_to_capabilities(apps, schema_editor):
    """A read key gets no capability; a write key gets every one but funding:entries, which
    only a finance approver grants."""
    db = schema_editor.connection.alias
    ApiKey = apps.get_model("api", "ApiKey")
    KeyCapability = apps.get_model("api", "KeyCapability")
    KeyCapability.objects.using(db).bulk_create(
        KeyCapability(key_id=key_id, code=code, granted_by_id=created_by_id)
        for key_id, created_by_id in ApiKey.objects.using(db).filter(scope="write").values_list(
            "pk", "created_by_id"
        )
        for code in CONVERTED
    )


def capabilities_to_scope(apps, schema_editor):
    ApiKey = apps.get_model("api", "ApiKey")
    ApiKey.objects.using(schema_editor.connection.alias).filter(capabilities__isnull=False).update(
        scope="write"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_append_only_truncate_guard"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KeyCapability",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        choices=[
                            ("updates:write", "updates:write · Post and edit its own progress updates"),
                            ("medical:claim", "medical:claim · Claim 揭榜 items, report progress and deliver"),
                            ("education:results", "education:results · Post exam results of its own classes"),
                            ("funding:entries", "funding:entries · Post funding ledger entries for its own role in a project"),
                        ],
                        max_length=40,
                        verbose_name="capability",
                    ),
                ),
                (
                    "granted_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="granted"),
                ),
                (
                    "granted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="granted by",
                    ),
                ),
                (
                    "key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="capabilities",
                        to="api.apikey",
                        verbose_name="API key",
                    ),
                ),
            ],
            options={
                "verbose_name": "key capability",
                "verbose_name_plural": "key capabilities",
                "ordering": ["key", "code"],
                "constraints": [
                    models.UniqueConstraint(fields=("key", "code"), name="key_capability_once"),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "code__in",
                                ["updates:write", "medical:claim", "education:results", "funding:entries"],
                            )
                        ),
                        name="key_capability_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("code__in", ["funding:entries"]), _negated=True),
                            ("granted_by__isnull", False),
                            _connector="OR",
                        ),
                        name="key_capability_grantor_recorded",
                    ),
                ],
            },
        ),
        migrations.RunPython(scope_to_capabilities, capabilities_to_scope),
        migrations.RemoveField(model_name="apikey", name="scope"),
    ]
