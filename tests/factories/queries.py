"""Factories for data queries (each query comes with the raise message of its thread)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from queries.models import DataQuery, DataQueryAction, DataQueryStatus, QueryMessage
from tests.factories import SubjectFactory, UserFactory


class DataQueryFactory(DjangoModelFactory):
    class Meta:
        model = DataQuery
        skip_postgeneration_save = True

    subject = factory.SubFactory(SubjectFactory)
    study_site = factory.SelfAttribute("subject.study_site")
    study = factory.SelfAttribute("subject.study_site.study")
    form_name = "Vital signs"
    field_name = "Systolic BP"
    text = factory.Sequence(lambda n: f"Please confirm the value recorded (check {n}).")
    raised_by = factory.SubFactory(UserFactory)
    raised_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.SelfAttribute("raised_at")
    waiting_since = factory.SelfAttribute("raised_at")

    @factory.post_generation
    def thread(obj, create, extracted, **kwargs):
        if create:
            QueryMessageFactory(
                data_query=obj,
                author=obj.raised_by,
                text=obj.text,
                created_at=obj.raised_at,
                to_status=DataQueryStatus.OPEN,
            )


class QueryMessageFactory(DjangoModelFactory):
    class Meta:
        model = QueryMessage

    data_query = factory.SubFactory(DataQueryFactory)
    author = factory.SubFactory(UserFactory)
    action = DataQueryAction.RAISE
    to_status = DataQueryStatus.OPEN
    text = "Please check."
    created_at = factory.LazyFunction(timezone.now)
