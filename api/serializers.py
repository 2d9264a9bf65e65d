"""Input serializer building blocks every app's API shares."""

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

LANGUAGE_KEYS = {"zh-hans": "zh_hans", "en": "en"}


if TYPE_CHECKING:
    _Serializer = serializers.Serializer[Any]
else:
    _Serializer = object  # the serializers that use the mixin bring Serializer


class StrictInputMixin(_Serializer):
    """Unknown or read-only fields in a request are an error, never silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field is not accepted here.")] for name in unknown}
                )
        return super().to_internal_value(data)


class BilingualInput(StrictInputMixin, serializers.Serializer[Any]):
    """{"zh-hans": "...", "en": "..."} in, {"zh_hans": "...", "en": "..."} out."""

    def __init__(
        self,
        *args: Any,
        max_length: int,
        chinese_required: bool = True,
        validators_each: Iterable[Callable[[str], None]] = (),
        **kwargs: Any,
    ) -> None:
        self.max_length = max_length
        self.chinese_required = chinese_required
        # Checks each language's text must pass, such as the model field's own validators.
        self.validators_each = list(validators_each)
        super().__init__(*args, **kwargs)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "zh-hans": serializers.CharField(
                max_length=self.max_length,
                required=self.chinese_required,
                allow_blank=not self.chinese_required,
                validators=self.validators_each,
            ),
            "en": serializers.CharField(
                max_length=self.max_length,
                required=False,
                allow_blank=True,
                validators=self.validators_each,
            ),
        }

    def to_internal_value(self, data: Any) -> dict[str, str]:
        values = super().to_internal_value(data)
        return {LANGUAGE_KEYS[key]: value for key, value in values.items()}


def translated_values(validated: Mapping[str, Any], name: str) -> dict[str, str]:
    """{"title": {"zh_hans": "a"}} → {"title_zh_hans": "a"}, for a service's keyword arguments."""
    return {f"{name}_{suffix}": value for suffix, value in validated.get(name, {}).items()}
