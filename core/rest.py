"""What every app's API shares below the API platform: bilingual text fields, choice labels,
and answering in the caller's language."""

import copy
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema_field
from modeltranslation.utils import build_localized_fieldname, resolution_order
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.views import APIView

LANGUAGES = ("zh-hans", "en")

if TYPE_CHECKING:
    _Serializer = serializers.Serializer[Any]
else:
    _Serializer = object  # the serializers that use the mixin bring DRF's


class BilingualTextSerializer(serializers.Serializer[Any]):
    """Schema of a text kept in both languages: {"zh-hans": "...", "en": "..."}."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # The keys are language codes, which are not valid attribute names.
        return {language: serializers.CharField(allow_blank=True) for language in LANGUAGES}


_AnyField = serializers.Field[Any, Any, Any, Any]


def _fresh_copy(field: _AnyField) -> _AnyField:
    # A field that holds other fields bound to itself (a nested serializer, a list of
    # relations, a ListField's child) is rebuilt whole, as DRF does; any other field is a shallow
    # copy: binding sets attributes on the copy alone.
    if isinstance(field, serializers.BaseSerializer | ManyRelatedField) or hasattr(field, "child"):
        return copy.deepcopy(field)
    return copy.copy(field)


class FieldsOnceMixin(_Serializer):
    """Builds a read serializer's fields once per class and process, then hands each instance
    copies of them.

    DRF builds them again for every serializer it creates, that is once per response and nested
    serializer: a ModelSerializer inspects its model's fields, maps each to a serializer field and
    deep-copies the declared ones, which cost about a millisecond per list answer. What it builds
    depends only on the class (its Meta and declared fields), so for serializers whose
    `get_fields()` reads nothing from the instance (the API's output serializers) the result is
    the same each time.
    """

    def get_fields(self) -> dict[str, _AnyField]:
        cls = type(self)
        prototypes: dict[str, _AnyField] | None = cls.__dict__.get("_prototype_fields")
        if prototypes is None:
            prototypes = super().get_fields()
            cls._prototype_fields = prototypes  # type: ignore[attr-defined]
        return {name: _fresh_copy(field) for name, field in prototypes.items()}


class ModelSerializer(FieldsOnceMixin, serializers.ModelSerializer[Any]):
    """The API's output serializer of a model: DRF's, with its fields built once per class."""


@extend_schema_field(BilingualTextSerializer)
class BilingualField(serializers.Field[dict[str, str], Any, dict[str, str], Any]):
    """Both languages of a django-modeltranslation field, whatever the request's language.

    Partner systems store both; a missing translation is an empty string, not a fallback.
    """

    def __init__(self, source_field: str | None = None, **kwargs: Any) -> None:
        self.source_field = source_field
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    @property
    def columns(self) -> list[tuple[str, str]]:
        # The columns' names once, not per row.
        columns: list[tuple[str, str]] | None = self.__dict__.get("_columns")
        if columns is None:
            columns = [
                (language, f"{self.source_field}_{language.replace('-', '_')}")
                for language in LANGUAGES
            ]
            self.__dict__["_columns"] = columns
        return columns

    def bind(self, field_name: str, parent: serializers.BaseSerializer[Any]) -> None:
        super().bind(field_name, parent)
        self.source_field = self.source_field or field_name

    def to_representation(self, instance: Any) -> dict[str, str]:
        return {language: getattr(instance, column) or "" for language, column in self.columns}


# -- lists read as columns ------------------------------------------------------------------
# A list that reads rows of columns (`.values()`) instead of model instances writes each row as
# its serializer would write the instance; these read a row the way the fields read a model.


def written(field: serializers.Field[Any, Any, Any, Any], value: Any) -> Any:
    """What a serializer writes for a field holding `value`: null stays null, anything else goes
    through the field (DRF's Serializer.to_representation)."""
    return None if value is None else field.to_representation(value)


def bilingual_columns(*names: str) -> list[str]:
    """The columns a BilingualField of each name reads."""
    return [f"{name}_{language.replace('-', '_')}" for name in names for language in LANGUAGES]


def bilingual(row: Mapping[str, Any], name: str) -> dict[str, str]:
    """What a BilingualField writes, from a row holding `bilingual_columns(name)`."""
    return {language: row[f"{name}_{language.replace('-', '_')}"] or "" for language in LANGUAGES}


def translated(row: Mapping[str, Any], name: str) -> str:
    """A translated text as django-modeltranslation reads it from a model in the active
    language: that language's, else the first of the fallback languages that has one, else an
    empty string. The row holds `bilingual_columns(name)`."""
    for language in resolution_order(translation.get_language() or LANGUAGES[0]):
        value = row.get(build_localized_fieldname(name, language))
        if value:
            return str(value)
    return ""


# Each choice field's labels in each language, translated once per process: a label depends only
# on the value and the language, and the catalogues do not change while the process runs.
_LABELS: dict[tuple[models.Field[Any, Any], str], dict[Any, str | None]] = {}


def choice_labels(field: models.Field[Any, Any]) -> dict[Any, str | None]:
    """{value: label} of a model field's choices in the active language, as get_FOO_display
    writes them."""
    key = (field, translation.get_language() or "")
    labels = _LABELS.get(key)
    if labels is None:
        labels = {value: str(label) for value, label in field.flatchoices}
        _LABELS[key] = labels
    return labels


class ChoiceLabelField(serializers.CharField):
    """The display label of a choice, in the language the request asked for: what
    `get_FOO_display()` returns, read from labels translated once per language instead of a
    method call, a signature inspection and a catalogue lookup per row. The source stays
    `get_FOO_display`, so the schema is the same."""

    def __init__(self, choice_field: str, **kwargs: Any) -> None:
        self.choice_field = choice_field
        self.model_field: models.Field[Any, Any] | None = None
        super().__init__(source=f"get_{choice_field}_display", read_only=True, **kwargs)

    def bind(self, field_name: str, parent: serializers.BaseSerializer[Any]) -> None:
        super().bind(field_name, parent)
        model = getattr(getattr(parent, "Meta", None), "model", None)
        if model is not None:
            try:
                field = model._meta.get_field(self.choice_field)
            except FieldDoesNotExist:
                return
            if isinstance(field, models.Field) and field.choices:
                self.model_field = field

    def get_attribute(self, instance: Any) -> Any:
        if self.model_field is None or not isinstance(instance, self.model_field.model):
            return super().get_attribute(instance)
        value = getattr(instance, self.model_field.attname)
        # get_FOO_display: the label of a known value, else the value itself (None stays None).
        label = choice_labels(self.model_field).get(value, value)
        return label if label is None else str(label)


def label_field(choice_field: str) -> serializers.CharField:
    """The display label of a choice, in the language the request asked for."""
    return ChoiceLabelField(choice_field)


# A lookup value that reverse() and build_absolute_uri() write as it is, and that every route's
# pattern takes: an id, or a code without a dot.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_SENTINEL = "Z9lookup9Z"


class IdentityUrlField(serializers.HyperlinkedIdentityField):
    """DRF's HyperlinkedIdentityField, reversing the route once per request and language and
    putting each row's id or code into it, instead of resolving the URL patterns row by row."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._template_for: tuple[int, str] | None = None
        self._template: tuple[str, str] = ("", "")

    def get_url(self, obj: Any, view_name: str, request: Any, format: Any) -> str | None:
        if hasattr(obj, "pk") and obj.pk in (None, ""):
            return None
        return self.url_for(getattr(obj, self.lookup_field), request, format)

    def url_for(self, lookup_value: Any, request: Any, format: Any = None) -> str:
        """The address of the record whose lookup field holds this value."""
        value = str(lookup_value)
        key = (id(request), translation.get_language() or "")
        if not format and _PLAIN.fullmatch(value):
            if self._template_for != key:
                url = self.reverse(
                    self.view_name, kwargs={self.lookup_url_kwarg: _SENTINEL}, request=request
                )
                parts = url.split(_SENTINEL)
                if len(parts) == 2:
                    self._template = (parts[0], parts[1])
                    self._template_for = key
            if self._template_for == key:
                return f"{self._template[0]}{value}{self._template[1]}"
        return str(
            self.reverse(
                self.view_name,
                kwargs={self.lookup_url_kwarg: lookup_value},
                request=request,
                format=format,
            )
        )


if TYPE_CHECKING:
    _View = APIView
else:
    _View = object  # the views that use the mixin bring APIView


class RequestLanguageMixin(_View):
    """Labels follow the caller's Accept-Language (or language cookie).

    The site's i18n_patterns pin every unprefixed URL, /api/v1/ included, to the default
    language; partner systems ask for a language by header, not by URL prefix.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
