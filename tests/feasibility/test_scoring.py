from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feasibility.scoring import (
    ValueRejected,
    clean_rule,
    clean_value,
    score_item,
    total,
)

OPTIONS = ["Local", "Central", "Both"]


def test_yes_no_rule_gives_full_points_only_for_the_expected_answer():
    assert score_item("yes_no", 20, {"expect": "yes"}, "yes").points == Decimal("20.00")
    assert score_item("yes_no", 20, {"expect": "yes"}, "no").points == 0
    assert score_item("yes_no", 20, {"expect": "no"}, "no").points == Decimal("20.00")
    unanswered = score_item("yes_no", 20, {"expect": "yes"}, None)
    assert (unanswered.points, unanswered.maximum, unanswered.note) == (0, 20, "no answer")


def test_number_threshold_and_range():
    assert score_item("number", 30, {"min": "100"}, "100").points == 30
    assert score_item("number", 30, {"min": "100"}, "99.5").points == 0
    assert score_item("number", 30, {"max": "90"}, "120").points == 0
    assert score_item("number", 30, {"min": "10", "max": "90"}, "45").points == 30


def test_choice_points_are_percent_of_weight_and_multiple_choice_is_capped():
    rule = {"points": {"Local": 100, "Central": 50}}
    assert score_item("single_choice", 40, rule, "Central").points == Decimal("20.00")
    assert score_item("single_choice", 40, rule, "Both").points == 0
    multi = {"points": {"Local": 70, "Central": 60}}
    assert score_item("multiple_choice", 10, multi, ["Local", "Central"]).points == 10


def test_unscored_items_count_for_nothing():
    assert score_item("text", 10, {}, "anything").maximum == 0
    assert score_item("yes_no", 0, {"expect": "yes"}, "yes").maximum == 0


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("yes_no", {"expect": "maybe"}),
        ("number", {"min": "ten"}),
        ("number", {"min": "10", "max": "5"}),
        ("single_choice", {"points": {"Nowhere": 50}}),
        ("single_choice", {"points": {"Local": 150}}),
        ("text", {"expect": "yes"}),
    ],
)
def test_bad_rules_are_refused(kind, rule):
    with pytest.raises(ValueRejected):
        clean_rule(kind, OPTIONS, rule)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("yes_no", "perhaps"),
        ("number", "lots"),
        ("number", "-3"),
        ("single_choice", "Remote"),
        ("date", "31/12/2026"),
        ("multiple_choice", ["Local", "Mars"]),
    ],
)
def test_values_that_do_not_fit_the_question_are_refused(kind, raw):
    with pytest.raises(ValueRejected):
        clean_value(kind, OPTIONS, raw)


def test_values_are_normalized():
    assert clean_value("number", [], " 1,200.50 ") == "1200.5"
    assert clean_value("yes_no", [], "Yes") == "yes"
    assert clean_value("multiple_choice", OPTIONS, ["Both", "Local"]) == ["Local", "Both"]
    assert clean_value("text", [], "   ") is None


weights = st.integers(min_value=0, max_value=100)
numbers = st.decimals(min_value=0, max_value=10**6, allow_nan=False, places=2)


@given(weight=weights, threshold=numbers, low=numbers, high=numbers)
def test_number_score_is_monotonic_and_bounded(weight, threshold, low, high):
    low, high = min(low, high), max(low, high)
    rule = {"min": str(threshold)}
    score_low = score_item("number", weight, rule, str(low))
    score_high = score_item("number", weight, rule, str(high))
    assert 0 <= score_low.points <= score_high.points <= score_high.maximum == weight


@given(
    weight=weights,
    pcts=st.fixed_dictionaries({o: st.integers(0, 100) for o in OPTIONS}),
    chosen=st.lists(st.sampled_from(OPTIONS), unique=True, min_size=1),
)
def test_choice_scores_stay_within_the_weight(weight, pcts, chosen):
    rule = clean_rule("multiple_choice", OPTIONS, {"points": pcts})
    score = score_item("multiple_choice", weight, rule, chosen)
    assert 0 <= score.points <= score.maximum
    single = score_item("single_choice", weight, rule, chosen[0])
    assert single.points == (Decimal(weight) * pcts[chosen[0]] / 100).quantize(Decimal("0.01"))


@given(st.lists(st.tuples(weights, st.sampled_from(["yes", "no", None])), min_size=0, max_size=12))
def test_total_is_the_sum_of_the_breakdown(rows):
    scores = [score_item("yes_no", w, {"expect": "yes"}, v) for w, v in rows]
    result = total(scores)
    assert result.points == sum(s.points for s in scores)
    assert result.maximum == sum(w for w, _ in rows)
    assert result.percent is None or 0 <= result.percent <= 100
