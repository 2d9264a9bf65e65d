import pytest
from django.db import connection


def settle() -> None:
    """Number the events written so far, as their commit would: inside a test's transaction,
    which never commits, the deferred trigger runs only when asked to."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def settled():
    return settle
