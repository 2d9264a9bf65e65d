"""The base for endpoints partners write to: scoping, idempotent creates, If-Match changes and
the audit trail, each in one place. Subclasses say which records a caller sees and may write,
and which service performs each write."""

from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.audit import record_write, snapshot
from api.callers import Caller, caller_of
from api.concurrency import etag_for, lock_matching
from api.idempotency import idempotent
from api.views import RequestLanguageMixin


class PartnerWritableViewSet(RequestLanguageMixin, viewsets.ModelViewSet[Any]):
    # The capability a partner key needs to write here; subclasses name it.
    required_capability: str | None = None
    # What a write reads and what every answer shows; subclasses name them.
    input_serializer_class: type[BaseSerializer[Any]]
    output_serializer_class: type[BaseSerializer[Any]]

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
    @property
    def caller(self) -> Caller:
        return caller_of(self.request)

    def get_queryset(self) -> QuerySet[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.visible_queryset(self.caller)
        # Another organisation's record is not there for writing: a 404, never a 403.
        return self.writable_queryset(self.caller)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.request is not None and self.request.method in ("POST", "PUT", "PATCH"):
            return self.input_serializer_class
        return self.output_serializer_class

    def _output(self, instance: models.Model, **kwargs: Any) -> Response:
        data = self.output_serializer_class(instance, context=self.get_serializer_context()).data
        response = Response(data, **kwargs)
        response["ETag"] = etag_for(instance)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._output(self.get_object())

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.input_serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        instance = self.perform_submit(self.caller, serializer.validated_data)
        record_write(
            caller=self.caller,
            request=request,
            action="create",
            instance=instance,
            before=None,
            after=snapshot(instance),
            idempotency_key=getattr(self, "idempotency_key", ""),
        )
        response = self._output(instance, status=status.HTTP_201_CREATED)
        response["Location"] = self.reverse_action(
            "detail", kwargs={self.lookup_field: instance.pk}
        )
        return response

    def update(
        self, request: Request, *args: Any, partial: bool = False, **kwargs: Any
    ) -> Response:
        instance = self.get_object()
        with transaction.atomic():
            locked = lock_matching(request, instance)
            before = snapshot(locked)
            serializer = self.input_serializer_class(
                locked, data=request.data, partial=partial, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            changed = self.perform_change(self.caller, locked, serializer.validated_data)
            record_write(
                caller=self.caller,
                request=request,
                action="update",
                instance=changed,
                before=before,
                after=snapshot(changed),
            )
        return self._output(changed)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        with transaction.atomic():
            locked = lock_matching(request, instance) if "If-Match" in request.headers else instance
            record_write(
                caller=self.caller,
                request=request,
                action="delete",
                instance=locked,
                before=snapshot(locked),
                after=None,
            )
            self.perform_withdraw(self.caller, locked)
        return Response(status=status.HTTP_204_NO_CONTENT)
