"""The one pipeline every partner write goes through, and the base for endpoints partners write
to. A write is checked (the caller and, for a partner key, the capability the view names in
`required_capability`, by `api.permissions`), made idempotent (a POST's Idempotency-Key),
validated, performed by the app's service, audited in the same transaction, its errors
translated (field names here, problem+json in `api.problems`) and answered with its status,
Location and ETag. Views supply only the input serializer, the service call and the answer."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django_stubs_ext import StrOrPromise
from rest_framework import exceptions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.audit import record_write, snapshot
from api.callers import Caller, caller_of
from api.concurrency import etag_for, lock_matching
from api.idempotency import idempotent
from core.rest import RequestLanguageMixin

if TYPE_CHECKING:
    _ViewSet = viewsets.GenericViewSet[Any]
else:
    _ViewSet = object  # the viewsets that use the mixin bring GenericViewSet


class PartnerWriteMixin(_ViewSet):
    """The write pipeline, for viewsets and for their actions (claim, report, deliver...)."""

    # The capability a partner key needs to write here; views name it.
    required_capability: str | None = None
    # Where only a partner key writes (not staff), the refusal staff get.
    keys_only: StrOrPromise | None = None
    # Answers carry the record's ETag where partners change records with If-Match.
    sends_etag = False

    @property
    def caller(self) -> Caller:
        return caller_of(self.request)

    def location_of(self, instance: models.Model) -> str:
        return str(self.reverse_action("detail", kwargs={self.lookup_field: instance.pk}))

    @contextmanager
    def service_errors(self, field_names: dict[str, str] | None) -> Iterator[None]:
        """A service's field errors under the names this API's input gives those fields."""
        try:
            yield
        except DjangoValidationError as error:
            if field_names and hasattr(error, "error_dict"):
                for name, api_name in field_names.items():
                    if name in error.error_dict:
                        error.error_dict[api_name] = error.error_dict.pop(name)
            raise

    def partner_write(
        self,
        request: Request,
        perform: Callable[..., Any],
        *,
        action: str = "create",
        input_serializer: type[BaseSerializer[Any]] | None = None,
        target: Callable[[], models.Model] | None = None,
        if_match: bool = False,
        answer: Callable[[Any], object] | None = None,
        status_code: int = status.HTTP_201_CREATED,
        location: bool = False,
        partial: bool | None = None,
        field_names: dict[str, str] | None = None,
    ) -> Response:
        """Run one write: `perform(caller, data)`, or `perform(caller, record, data)` on the
        record `target` finds (locked, with If-Match compared, when `if_match`).
        `input_serializer` validates the body into `data`, as a change of the record when
        `partial` is given, and the service's errors on `field_names` keys are renamed to their
        values; `answer` gives the response body from what was written. A POST is
        idempotent; every write commits with its audit row or not at all."""

        def run(view: object, request: Request) -> Response:
            caller = self.caller
            if self.keys_only and caller.key is None:
                raise exceptions.PermissionDenied(str(self.keys_only))
            record = target() if target is not None else None
            if record is not None and if_match:
                record = lock_matching(request, record)
            # Creating on a record (a claim on an item, a reversal of an entry) changes none.
            changed = record is not None and action != "create"
            before = snapshot(record) if changed and record is not None else None
            data = None
            if input_serializer is not None:
                context = self.get_serializer_context()
                if partial is None:
                    serializer = input_serializer(data=request.data, context=context)
                else:
                    serializer = input_serializer(
                        record, data=request.data, partial=partial, context=context
                    )
                serializer.is_valid(raise_exception=True)
                data = serializer.validated_data
            arguments = (caller, data) if record is None else (caller, record, data)
            if action == "delete":
                self._audit(request, action, record, before, None)
                perform(*arguments)
                return Response(status=status.HTTP_204_NO_CONTENT)
            with self.service_errors(field_names):
                written = perform(*arguments)
            self._audit(request, action, written, before, snapshot(written))
            response = Response(answer(written) if answer else None, status=status_code)
            if self.sends_etag:
                response["ETag"] = etag_for(written)
            if location:
                response["Location"] = self.location_of(written)
            return response

        if request.method == "POST":
            response: Response = idempotent(run)(self, request)
            return response
        with transaction.atomic():
            return run(self, request)

    def _audit(
        self,
        request: Request,
        action: str,
        instance: Any,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
    ) -> None:
        record_write(
            caller=self.caller,
            request=request,
            action=action,
            instance=instance,
            before=before,
            after=after,
            idempotency_key=getattr(self, "idempotency_key", ""),
        )


class PartnerWritableViewSet(RequestLanguageMixin, PartnerWriteMixin, viewsets.ModelViewSet[Any]):
    """Records partners create, change and withdraw: subclasses say which records a caller sees
    and may write, and which service performs each write."""

    # What a write reads and what every answer shows; subclasses name them.
    input_serializer_class: type[BaseSerializer[Any]]
    output_serializer_class: type[BaseSerializer[Any]]
    sends_etag = True

    # -- what subclasses provide ------------------------------------------------------------
    def visible_queryset(self, caller: Caller) -> QuerySet[Any]:
        raise NotImplementedError

    def writable_queryset(self, caller: Caller) -> QuerySet[Any]:
        raise NotImplementedError

    def perform_submit(self, caller: Caller, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def perform_change(self, caller: Caller, instance: Any, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def perform_withdraw(self, caller: Caller, instance: Any) -> None:
        raise NotImplementedError

    # -- the shared behaviour ---------------------------------------------------------------
    def get_queryset(self) -> QuerySet[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.visible_queryset(self.caller)
        # Another organisation's record is not there for writing: a 404, never a 403.
        return self.writable_queryset(self.caller)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.request is not None and self.request.method in ("POST", "PUT", "PATCH"):
            return self.input_serializer_class
        return self.output_serializer_class

    def _data(self, instance: models.Model) -> Any:
        return self.output_serializer_class(instance, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        response = Response(self._data(instance))
        response["ETag"] = etag_for(instance)
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partner_write(
            request,
            lambda caller, data: self.perform_submit(caller, data),
            input_serializer=self.input_serializer_class,
            answer=self._data,
            location=True,
        )

    def update(
        self, request: Request, *args: Any, partial: bool = False, **kwargs: Any
    ) -> Response:
        instance = self.get_object()
        return self.partner_write(
            request,
            lambda caller, record, data: self.perform_change(caller, record, data),
            action="update",
            input_serializer=self.input_serializer_class,
            target=lambda: instance,
            if_match=True,
            answer=self._data,
            status_code=status.HTTP_200_OK,
            partial=partial,
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        return self.partner_write(
            request,
            lambda caller, record, data: self.perform_withdraw(caller, record),
            action="delete",
            target=lambda: instance,
            if_match="If-Match" in request.headers,
        )
