"""Scoring and answer values: pure functions, no database.

Values are kept in JSON as: yes/no → "yes" | "no"; number → decimal string ("12.5");
single choice → the option; multiple choice → list of options; text → string; date → ISO date.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from feasibility.models import CHOICE_KINDS, SCORABLE_KINDS, QuestionKind

TWO_PLACES = Decimal("0.01")
MAX_NUMBER = Decimal("1000000000")


class ValueRejected(ValueError):
    """An entered value does not fit the question."""


def _is_blank(raw: Any) -> bool:
    return raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())


def clean_value(kind: str, options: list[str], raw: Any) -> Any:
    """The stored form of an entered value, or None when nothing was entered.

    Raises ValueRejected with a message for the person when the value does not fit.
    """
    if _is_blank(raw):
        return None
    if kind == QuestionKind.YES_NO:
        text = str(raw).strip().lower()
        if raw is True or text in {"yes", "true", "y", "1"}:
            return "yes"
        if raw is False or text in {"no", "false", "n", "0"}:
            return "no"
        raise ValueRejected("Answer yes or no.")
    if kind == QuestionKind.NUMBER:
        if isinstance(raw, bool):
            raise ValueRejected("Enter a number.")
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueRejected("Enter a number.") from exc
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            raise ValueRejected("Enter a number below one billion.")
        if number < 0:
            raise ValueRejected("Enter 0 or more.")
        return format(number.normalize(), "f")
    if kind == QuestionKind.SINGLE_CHOICE:
        text = str(raw).strip()
        if text not in options:
            raise ValueRejected("Choose one of the options.")
        return text
    if kind == QuestionKind.MULTIPLE_CHOICE:
        chosen = [raw] if isinstance(raw, str) else list(raw)
        chosen = [str(c).strip() for c in chosen if str(c).strip()]
        if any(c not in options for c in chosen):
            raise ValueRejected("Choose from the options.")
        return [o for o in options if o in chosen] or None
    if kind == QuestionKind.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValueRejected("Enter a date as YYYY-MM-DD.") from exc
    text = str(raw).strip()
    if len(text) > 2000:
        raise ValueRejected("Keep the answer under 2,000 characters.")
    return text


def display_value(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == QuestionKind.YES_NO:
        return "Yes" if value == "yes" else "No"
    if kind == QuestionKind.MULTIPLE_CHOICE:
        return ", ".join(value)
    return str(value)


def clean_rule(kind: str, options: list[str], rule: dict | None) -> dict:
    """A scoring rule checked against the question; {} means "not scored"."""
    rule = {k: v for k, v in (rule or {}).items() if v not in (None, "", {})}
    if not rule:
        return {}
    if kind not in SCORABLE_KINDS:
        raise ValueRejected("Text and date questions are not scored; leave the rule empty.")
    if kind == QuestionKind.YES_NO:
        expect = str(rule.get("expect", "")).lower()
        if set(rule) != {"expect"} or expect not in {"yes", "no"}:
            raise ValueRejected('A yes/no rule says which answer earns the points: "yes" or "no".')
        return {"expect": expect}
    if kind == QuestionKind.NUMBER:
        if not set(rule) <= {"min", "max"}:
            raise ValueRejected("A number rule gives a minimum and/or a maximum.")
        cleaned = {}
        for bound in ("min", "max"):
            if bound in rule:
                try:
                    cleaned[bound] = format(Decimal(str(rule[bound])).normalize(), "f")
                except InvalidOperation as exc:
                    raise ValueRejected(f"The {bound}imum must be a number.") from exc
        if (
            "min" in cleaned
            and "max" in cleaned
            and Decimal(cleaned["min"]) > Decimal(cleaned["max"])
        ):
            raise ValueRejected("The minimum is above the maximum.")
        return cleaned
    points = rule.get("points")
    if set(rule) != {"points"} or not isinstance(points, dict):
        raise ValueRejected("A choice rule gives points (0–100 % of the weight) per option.")
    cleaned_points = {}
    for option, pct in points.items():
        if option not in options:
            raise ValueRejected(f"“{option}” is not one of the options.")
        if not isinstance(pct, int) or isinstance(pct, bool) or not 0 <= pct <= 100:
            raise ValueRejected("Points per option are whole percentages from 0 to 100.")
        cleaned_points[option] = pct
    return {"points": cleaned_points}


def describe_rule(kind: str, rule: dict) -> str:
    if not rule:
        return "Not scored"
    if kind == QuestionKind.YES_NO:
        return f"Full points for “{rule['expect'].capitalize()}”"
    if kind == QuestionKind.NUMBER:
        parts = []
        if "min" in rule:
            parts.append(f"≥ {rule['min']}")
        if "max" in rule:
            parts.append(f"≤ {rule['max']}")
        return "Full points when " + " and ".join(parts)
    return ", ".join(f"{o}: {p}%" for o, p in rule["points"].items())


@dataclass(frozen=True)
class ItemScore:
    points: Decimal
    maximum: Decimal
    note: str

    @property
    def scored(self) -> bool:
        return self.maximum > 0


def _q(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def score_item(kind: str, weight: int, rule: dict, value: Any) -> ItemScore:
    """Points earned by one answer: 0..weight, or 0 of 0 when the item is not scored."""
    if not weight or not rule or kind not in SCORABLE_KINDS:
        return ItemScore(Decimal("0.00"), Decimal("0.00"), "not scored")
    maximum = _q(Decimal(weight))
    if value is None:
        return ItemScore(Decimal("0.00"), maximum, "no answer")
    if kind == QuestionKind.YES_NO:
        hit = value == rule["expect"]
        return ItemScore(maximum if hit else Decimal("0.00"), maximum, "met" if hit else "not met")
    if kind == QuestionKind.NUMBER:
        number = Decimal(str(value))
        hit = ("min" not in rule or number >= Decimal(rule["min"])) and (
            "max" not in rule or number <= Decimal(rule["max"])
        )
        return ItemScore(maximum if hit else Decimal("0.00"), maximum, "met" if hit else "not met")
    points = rule["points"]
    if kind in CHOICE_KINDS:
        chosen = [value] if isinstance(value, str) else list(value)
        pct = min(100, sum(points.get(option, 0) for option in chosen))
        return ItemScore(_q(Decimal(weight) * pct / 100), maximum, f"{pct}%")
    raise AssertionError(kind)  # pragma: no cover - SCORABLE_KINDS covers every kind above


@dataclass(frozen=True)
class Score:
    points: Decimal
    maximum: Decimal

    @property
    def percent(self) -> int | None:
        if not self.maximum:
            return None
        return int((self.points * 100 / self.maximum).quantize(Decimal("1"), ROUND_HALF_UP))


def total(item_scores: list[ItemScore]) -> Score:
    return Score(
        points=sum((s.points for s in item_scores), Decimal("0.00")),
        maximum=sum((s.maximum for s in item_scores), Decimal("0.00")),
    )
