"""Server-rendered SVG bar chart of unpaid money by age (no JavaScript, no CDN): the geometry is
computed here and templates/payments/_bar_chart.html draws it."""

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 18, 40
COLOURS = {
    "not_due": "#198754",
    "d0_30": "#ffc107",
    "d31_60": "#fd7e14",
    "d61_90": "#dc3545",
    "d90_plus": "#842029",
}


@dataclass
class Bar:
    key: str
    label: str
    amount: Decimal
    x: float
    y: float
    width: float
    height: float
    colour: str
    label_x: float


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class BarChart:
    title: str
    currency: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def _nice_max(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(100)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = magnitude * Decimal(str(step))
        if value <= top:
            return top
    return value


def _short(value: Decimal) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1_000:
        return f"{value / 1_000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}"


def aging_chart(total) -> BarChart:
    """One bar per age bucket for one currency (negative totals — credits — draw as zero)."""
    chart = BarChart(title=f"Unpaid {total.currency} by age", currency=total.currency)
    top = _nice_max(max((max(amount, Decimal(0)) for _, _, amount in total.buckets), default=0))
    plot_w = chart.plot_right - chart.plot_left
    plot_h = chart.plot_bottom - chart.plot_top
    slot = plot_w / len(total.buckets)
    for index, (key, label, amount) in enumerate(total.buckets):
        height = float(max(amount, Decimal(0)) / top) * plot_h
        x = chart.plot_left + slot * index + slot * 0.15
        chart.bars.append(
            Bar(
                key=key,
                label=label.replace(" overdue", ""),
                amount=amount,
                x=round(x, 1),
                y=round(chart.plot_bottom - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                colour=COLOURS[key],
                label_x=round(x + slot * 0.35, 1),
            )
        )
    for step in range(5):
        value = top * step / 4
        chart.y_ticks.append(
            Tick(position=round(chart.plot_bottom - plot_h * step / 4, 1), label=_short(value))
        )
    return chart
