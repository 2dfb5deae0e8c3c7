"""Server-rendered SVG trend charts of the monthly snapshots (no JavaScript, no CDN): the
geometry is computed here and templates/scorecards/_trend_chart.html draws it.

One small chart per measure, one line per study-site, a point per month; a month with nothing
measured leaves a gap in the line rather than pretending to be zero."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from scorecards.measures import COUNT, PERCENT, Measure

WIDTH = 360
HEIGHT = 180
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 30
COLOURS = ("#0d6efd", "#198754", "#b02a37", "#6f42c1", "#fd7e14", "#0dcaf0", "#6c757d", "#d63384")


@dataclass
class Point:
    x: float
    y: float
    month: date
    label: str


@dataclass
class TrendLine:
    label: str
    colour: str
    segments: list[str] = field(default_factory=list)  # SVG "x,y x,y" runs between gaps
    points: list[Point] = field(default_factory=list)
    latest: str = "—"


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class TrendChart:
    measure: Measure
    lines: list[TrendLine]
    months: list[date]
    width: int = WIDTH
    height: int = HEIGHT
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def has_data(self) -> bool:
        return any(line.points for line in self.lines)


def _nice_max(value: Decimal) -> Decimal:
    if value <= 1:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in ("1", "2", "2.5", "5", "10"):
        top = magnitude * Decimal(step)
        if value <= top:
            return top
    return value


def _count_max(value: Decimal) -> Decimal:
    """A whole-number top whose half is a whole number too (counts have no halves)."""
    for top in (2, 4, 10, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000):
        if value <= top:
            return Decimal(top)
    return Decimal(int(value) + int(value) % 2)


def _tick_label(value: Decimal) -> str:
    return f"{value.normalize():f}"


def trend_chart(
    measure: Measure, months: list[date], series: list[tuple[str, list[Decimal | None]]]
) -> TrendChart:
    """``series``: (label, one value per month in ``months``, None where nothing was
    measured)."""
    chart = TrendChart(measure=measure, lines=[], months=months)
    values = [v for _, vals in series for v in vals if v is not None]
    highest = max(values, default=Decimal(0))
    if measure.unit == PERCENT:
        top = Decimal(100)
    elif measure.unit == COUNT:
        top = _count_max(highest)
    else:
        top = _nice_max(highest)
    plot_w = chart.plot_right - chart.plot_left
    plot_h = chart.plot_bottom - chart.plot_top
    step = plot_w / max(len(months) - 1, 1)

    def x(index: int) -> float:
        return round(chart.plot_left + step * index, 1)

    def y(value: Decimal) -> float:
        return round(chart.plot_bottom - plot_h * float(min(value, top) / top), 1)

    for number, (label, vals) in enumerate(series):
        line = TrendLine(label=label, colour=COLOURS[number % len(COLOURS)])
        run: list[str] = []
        for index, (month, value) in enumerate(zip(months, vals, strict=True)):
            if value is None:
                if run:
                    line.segments.append(" ".join(run))
                run = []
                continue
            px, py = x(index), y(value)
            run.append(f"{px},{py}")
            line.points.append(
                Point(px, py, month, f"{label}, {month:%b %Y}: {measure.format(value)}")
            )
        if run:
            line.segments.append(" ".join(run))
        latest = next((v for v in reversed(vals) if v is not None), None)
        line.latest = measure.format(latest)
        chart.lines.append(line)
    chart.y_ticks = [Tick(y(top * i / 2), _tick_label(top * i / 2)) for i in range(3)]
    chart.x_ticks = [
        Tick(x(i), m.strftime("%b %y") if i == 0 or m.month == 1 else m.strftime("%b"))
        for i, m in enumerate(months)
        if i % 3 == (len(months) - 1) % 3
    ]
    return chart


def trend_charts(measures, months: list[date], lines: list[tuple[str, dict]]) -> list[TrendChart]:
    """One chart per measure. ``lines``: (label, {month: snapshot}) per study-site."""
    return [
        trend_chart(
            measure,
            months,
            [
                (label, [getattr(by_month.get(m), measure.key, None) for m in months])
                for label, by_month in lines
            ],
        )
        for measure in measures
    ]
