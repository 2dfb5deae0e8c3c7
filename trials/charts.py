"""Server-rendered SVG line charts (no JavaScript, no CDN): the geometry is computed here and
templates/trials/includes/line_chart.html draws it."""

from dataclasses import dataclass, field
from datetime import date

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34


@dataclass
class Series:
    label: str
    css: str  # CSS class suffix: chart-line-<css>
    points: list[tuple[date, float]]
    dashed: bool = False
    svg_points: str = ""
    last: tuple[float, float] | None = None
    last_value: float | None = None


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class LineChart:
    width: int
    height: int
    series: list[Series]
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def _nice_max(value: float) -> int:
    if value <= 5:
        return 5
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return int(-(-value // step) * step)
    return int(value)


def _month_starts(start: date, end: date, limit: int = 8) -> list[date]:
    months = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        current = date(year, month, 1)
        if current > end:
            break
        months.append(current)
    if len(months) > limit:
        step = -(-len(months) // limit)
        months = months[::step]
    return months


def line_chart(series: list[Series], width: int = WIDTH, height: int = HEIGHT) -> LineChart:
    """Cumulative series over dates, on one shared date axis and a 0-based value axis."""
    dates = [d for s in series for d, _ in s.points]
    values = [v for s in series for _, v in s.points]
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)
    y_max = _nice_max(max(values, default=0))
    chart = LineChart(width=width, height=height, series=series)
    plot_w = chart.plot_right - chart.plot_left
    plot_h = chart.plot_bottom - chart.plot_top

    def x(day: date) -> float:
        return round(chart.plot_left + plot_w * (day - start).days / span, 1)

    def y(value: float) -> float:
        return round(chart.plot_bottom - plot_h * value / y_max, 1)

    for s in series:
        if not s.points:
            continue
        coords: list[tuple[float, float]] = []
        previous: float | None = None
        for day, value in s.points:
            if previous is not None and not s.dashed:
                coords.append((x(day), y(previous)))  # cumulative counts rise in steps
            coords.append((x(day), y(value)))
            previous = value
        s.svg_points = " ".join(f"{px},{py}" for px, py in coords)
        s.last = coords[-1]
        s.last_value = s.points[-1][1]
    chart.y_ticks = [Tick(y(y_max * i / 4), f"{y_max * i / 4:g}") for i in range(5)]
    chart.x_ticks = [Tick(x(m), m.strftime("%b %Y")) for m in _month_starts(start, end)]
    return chart
