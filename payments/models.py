"""Site payments models."""

from django.db import models  # noqa: F401
