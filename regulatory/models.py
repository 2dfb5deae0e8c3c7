"""Regulatory documents models."""

from django.db import models  # noqa: F401
