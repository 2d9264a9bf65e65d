"""Who made a change: a member of staff or a partner organisation's API key.

A record that keeps its author declares the pair of columns with `actor_columns` (a user and a
key, both nullable, never deleted while a record names them) and names them in `actor_fields`;
`ActorMixin` then reads and sets both as one `Actor`, shown one way everywhere. Column names
stay each model's own, so no table changes."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

    from api.callers import Caller
    from api.models import ApiKey


@dataclass(frozen=True)
class Actor:
    """A staff user or an API key (or, for records a command wrote, neither)."""

    user: Any = None
    key: "ApiKey | None" = None

    @classmethod
    def of(cls, caller: "Caller") -> "Actor":
        """The actor behind an API or admin request's caller (`api.callers.caller_of`)."""
        return cls(user=caller.user, key=caller.key)

    def __str__(self) -> str:
        if self.key is not None:
            return str(self.key)
        if self.user is not None:
            return str(self.user.get_username())
        return "—"


def actor_columns(
    *, user_label: "_StrOrPromise", key_label: "_StrOrPromise", key_related_name: str | None = "+"
) -> tuple["models.ForeignKey[Any, Any]", "models.ForeignKey[Any, Any]"]:
    """The (user, key) foreign keys of a record's actor, for `user, key = actor_columns(...)`."""
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=user_label,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    key = models.ForeignKey(
        "api.ApiKey",
        verbose_name=key_label,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=key_related_name,
    )
    return user, key


class ActorMixin:
    """`actor` on a model with actor columns: read as one `Actor`, set from one."""

    actor_fields: ClassVar[tuple[str, str]] = ("user", "api_key")  # (user column, key column)

    @property
    def actor(self) -> Actor:
        user_field, key_field = self.actor_fields
        return Actor(user=getattr(self, user_field), key=getattr(self, key_field))

    @actor.setter
    def actor(self, actor: Actor) -> None:
        user_field, key_field = self.actor_fields
        setattr(self, user_field, actor.user)
        setattr(self, key_field, actor.key)

    def actor_display(self) -> str:
        return str(self.actor)

    actor_display.short_description = _("by")  # type: ignore[attr-defined]
