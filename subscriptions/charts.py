"""Charts drawn on the server as SVG (no script, nothing inline for the CSP to refuse), each
with its numbers in text for screen readers and for anyone who would rather read them."""

from django.utils.html import format_html, format_html_join

# Colours with at least 3:1 contrast against white (WCAG non-text contrast).
COLOURS = {
    "sent": "#2e7d32",
    "queued": "#6b6b76",
    "failed": "#b3261e",
    "uncertain": "#8a6d00",
    "bounced": "#b35c00",
    "complained": "#6b1d3f",
    "unsubscribed": "#1f5fa8",
}


def edition_bar(edition, *, width: int = 160, height: int = 14) -> str:
    """One edition's emails as a stacked bar: sent, bounced, complained, queued, failed,
    uncertain (a worker stopped while sending them: they may have arrived)."""
    parts = [
        ("sent", edition.sent_count - edition.bounced_count - edition.complained_count),
        ("bounced", edition.bounced_count),
        ("complained", edition.complained_count),
        ("queued", edition.queued_count),
        ("failed", edition.failed_count),
        ("uncertain", getattr(edition, "uncertain_count", 0)),
    ]
    parts = [(name, max(count, 0)) for name, count in parts]
    total = sum(count for _, count in parts)
    label = ", ".join(f"{count} {name}" for name, count in parts) or "no emails"
    if not total:
        return format_html('<span class="edition-bar-empty">{}</span>', "no emails yet")
    x, rects = 0.0, []
    for name, count in parts:
        if count:
            w = width * count / total
            rects.append((f"{x:.2f}", f"{w:.2f}", height, COLOURS[name], f"{count} {name}"))
            x += w
    return format_html(
        '<svg class="edition-bar" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        label,
        width,
        height,
        width,
        height,
        label,
        format_html_join(
            "",
            '<rect x="{}" y="0" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            rects,
        ),
    )


def share_bar(value: int, peak: int, *, width: int = 120, height: int = 10) -> str:
    """A plain bar of value out of peak, beside the number it draws (hidden from screen
    readers, which read the number)."""
    w = width * value / peak if peak else 0
    return format_html(
        '<svg class="share-bar" aria-hidden="true" width="{}" height="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg"><rect x="0" y="0" width="{}" height="{}" '
        'fill="{}"/></svg>',
        width,
        height,
        width,
        height,
        f"{w:.1f}",
        height,
        COLOURS["unsubscribed"],
    )


SERIES = [
    ("signups", "Signups", "#1f5fa8"),
    ("confirmations", "Confirmations", "#2e7d32"),
    ("imports", "Imports", "#6b1d3f"),
    ("unsubscribes", "Unsubscribes", "#6b6b76"),
    ("bounces", "Bounces", "#b35c00"),
    ("complaints", "Complaints", "#b3261e"),
]


def growth_chart(weeks: list, series: dict[str, list[int]], *, title: str) -> str:
    """A line per series over the weeks, with axes and a legend; the table beside it holds
    the same numbers. Every colour is also named in the legend (not colour alone)."""
    width, height, left, right, top, bottom = 640, 240, 40, 130, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *(v for values in series.values() for v in values)])
    step = plot_w / max(len(weeks) - 1, 1)

    def x(i) -> str:
        return f"{left + i * step:.1f}"

    def y(v) -> str:
        return f"{top + plot_h - plot_h * v / peak:.1f}"

    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d5cfd3"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#4a4a55">{}</text>',
        (
            (left, y(v), left + plot_w, y(v), left - 6, f"{float(y(v)) + 4:.1f}", v)
            for v in sorted({0, peak // 2, peak})
        ),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#4a4a55">{}</text>',
        (
            (x(i), height - bottom + 16, f"{week:%b %-d}")
            for i, week in enumerate(weeks)
            if len(weeks) <= 8 or i % 2 == 0
        ),
    )
    lines, legend = [], []
    for n, (key, label, colour) in enumerate(SERIES):
        values = series[key]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        lines.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>{}',
                points,
                colour,
                format_html_join(
                    "",
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}</title></circle>',
                    (
                        (x(i), y(v), colour, f"{label}, week of {weeks[i]:%b %-d}: {v}")
                        for i, v in enumerate(values)
                    ),
                ),
            )
        )
        legend.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="#1b1b1f">{}</text>',
                width - right + 12,
                top + n * 20,
                colour,
                width - right + 30,
                top + n * 20 + 10,
                label,
            )
        )
    return format_html(
        '<svg class="growth-chart" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        "{}{}{}{}</svg>",
        title,
        width,
        height,
        width,
        height,
        title,
        grid,
        labels,
        format_html_join("", "{}", ((line,) for line in lines)),
        format_html_join("", "{}", ((item,) for item in legend)),
    )


def bar_chart(rows: list[tuple[str, int, str]], *, title: str, label_width: int = 220) -> str:
    """Horizontal bars, one per (label, value, colour), each named and numbered in text
    beside it (not colour alone), scaled to the largest; the table next to it holds the same
    numbers."""
    bar_h, gap, top, number_w = 18, 8, 4, 70
    width = label_width + 300 + number_w
    height = top * 2 + len(rows) * (bar_h + gap)
    peak = max([1, *(value for _, value, _ in rows)])
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1b1b1f">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" font-size="12" fill="#1b1b1f">{}</text>',
        (
            (
                label_width - 8,
                top + n * (bar_h + gap) + 13,
                _clip(label, label_width // 7),
                label_width,
                top + n * (bar_h + gap),
                f"{300 * value / peak:.1f}",
                bar_h,
                colour,
                label,
                value,
                label_width + 300 * value / peak + 6,
                top + n * (bar_h + gap) + 13,
                f"{value:,}",
            )
            for n, (label, value, colour) in enumerate(rows)
        ),
    )
    summary = f"{title}: " + "; ".join(f"{label} {value:,}" for label, value, _ in rows)
    return format_html(
        '<svg class="bar-chart" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        summary,
        width,
        height,
        width,
        height,
        summary,
        bars,
    )


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def edition_figures_chart(counts) -> str:
    """An edition's emails (an object annotated by services.editions.with_counts) as bars:
    sent, bounced, complained, unsubscribed, and queued, failed, uncertain when there are."""
    rows = [
        ("Sent", counts.sent_count, COLOURS["sent"]),
        ("Bounced", counts.bounced_count, COLOURS["bounced"]),
        ("Complained", counts.complained_count, COLOURS["complained"]),
        ("Unsubscribed", counts.unsubscribed_count, COLOURS["unsubscribed"]),
    ]
    rows += [
        (label, value, COLOURS[key])
        for label, key, value in [
            ("Queued", "queued", counts.queued_count),
            ("Failed", "failed", counts.failed_count),
            ("Uncertain", "uncertain", counts.uncertain_count),
        ]
        if value
    ]
    return bar_chart(rows, title="Emails of this edition", label_width=120)


def link_clicks_chart(links) -> str:
    """Clicks per link of an edition, most clicked first."""
    return bar_chart(
        [(str(link), link.clicks, COLOURS["unsubscribed"]) for link in links],
        title="Clicks per link",
    )
