import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and used one-time codes live in the (Redis) cache.
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
