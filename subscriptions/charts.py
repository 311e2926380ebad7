"""Charts drawn on the server as SVG (no script, nothing inline for the CSP to refuse), each
with its numbers in text for screen readers and for anyone who would rather read them."""

from django.utils.html import format_html, format_html_join

# Colours with at least 3:1 contrast against white (WCAG non-text contrast).
COLOURS = {
    "sent": "#2e7d32",
    "queued": "#6b6b76",
    "failed": "#b3261e",
    "bounced": "#b35c00",
    "complained": "#6b1d3f",
    "unsubscribed": "#1f5fa8",
}


def edition_bar(edition, *, width: int = 160, height: int = 14) -> str:
    """One edition's emails as a stacked bar: sent, queued, failed, bounced, complained."""
    parts = [
        ("sent", edition.sent_count - edition.bounced_count - edition.complained_count),
        ("bounced", edition.bounced_count),
        ("complained", edition.complained_count),
        ("queued", edition.queued_count),
        ("failed", edition.failed_count),
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
