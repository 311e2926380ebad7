"""Generated placeholder pictures: issue covers, portraits of fictional authors, a chart."""

from io import BytesIO

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from articles.models import Author, Issue


def cover(issue: Issue) -> ContentFile:
    image = Image.new("RGB", (600, 800), (28, 61, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 600, 150), fill=(196, 30, 58))
    draw.text((40, 50), "JHOP", fill="white", font_size=64)
    for row, line in enumerate(wrap(issue.label, 16)):
        draw.text((40, 220 + row * 72), line, fill="white", font_size=60)
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{issue.slug}.png")


def missing(image) -> bool:
    return not image or not image.storage.exists(image.name)


def portrait(author: Author) -> ContentFile:
    image = Image.new("RGB", (400, 400), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 360, 360), fill=(28, 61, 110))
    initials = author.given_name[:1] + author.family_name[:1]
    draw.text((200, 200), initials, fill="white", font_size=120, anchor="mm")
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{author.slug}.png")


def chart() -> ContentFile:
    image = Image.new("RGB", (1600, 900), "white")
    draw = ImageDraw.Draw(image)
    draw.line((150, 780, 1500, 780), fill="black", width=4)
    draw.line((150, 780, 150, 100), fill="black", width=4)
    for i, height in enumerate([520, 380, 610, 290, 450]):
        left = 250 + i * 250
        draw.rectangle((left, 780 - height, left + 150, 780), fill=(28, 61, 110))
    draw.text((800, 60), "Demonstration data", fill="black", font_size=48, anchor="mm")
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name="demo-chart.png")


def wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]
