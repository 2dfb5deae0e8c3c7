import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The work inbox count is cached per user and organization (Redis, keyed by ids a new test
    database reuses): every test starts without it."""
    cache.clear()
