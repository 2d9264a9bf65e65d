import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # A request to an /en/ page leaves English active in the thread; later tests expect the
    # default language.
    yield
    translation.deactivate()
