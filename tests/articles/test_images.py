from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from PIL import Image

from articles.images import ImageValidator, rendition, validate_image
from tests.factories import make_article, make_author, make_issue


def image_bytes(size=(400, 300), kind="PNG", color=(200, 30, 60)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format=kind)
    return buffer.getvalue()


def upload(data: bytes, name="image.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_accepts_jpeg_png_webp(kind):
    validate_image(upload(image_bytes(kind=kind)))


def test_rejects_a_file_that_is_not_an_image():
    with pytest.raises(ValidationError, match="not an image") as error:
        validate_image(upload(b"%PDF-1.7 not an image at all", name="cover.png"))
    assert error.value.code == "not_an_image"


def test_rejects_a_truncated_image():
    with pytest.raises(ValidationError, match="not an image"):
        validate_image(upload(image_bytes()[:200]))


def test_rejects_other_image_types():
    with pytest.raises(ValidationError, match="GIF images are not accepted"):
        validate_image(upload(image_bytes(kind="GIF"), name="x.gif"))


def test_rejects_an_oversized_file():
    validator = ImageValidator(max_bytes=1024)
    big = image_bytes(size=(600, 600), kind="BMP")
    with pytest.raises(ValidationError, match=r"at most 1\.0") as error:
        validator(upload(big))
    assert error.value.code == "image_too_large"


def test_rejects_too_many_pixels_and_too_few():
    with pytest.raises(ValidationError, match="limit is 300 pixels a side"):
        ImageValidator(max_side=300)(upload(image_bytes(size=(400, 200))))
    with pytest.raises(ValidationError, match="at least 100 a side"):
        validate_image(upload(image_bytes(size=(400, 50))))


@pytest.mark.django_db
def test_admin_form_path_shows_the_errors_on_the_field():
    article = make_article()
    article.lead_image = upload(b"<svg onload=alert(1)>", name="x.png")
    article.lead_image_alt = "A chart"
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "lead_image" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "image_field", "alt_field"),
    [
        (make_article, "lead_image", "lead_image_alt"),
        (make_issue, "cover_image", "cover_image_alt"),
        (make_author, "photo", "photo_alt"),
    ],
)
def test_alt_text_required_when_an_image_is_set(make, image_field, alt_field):
    obj = make()
    getattr(obj, image_field).save("pic.png", ContentFile(image_bytes()), save=False)
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    assert list(error.value.message_dict) == [alt_field]
    setattr(obj, alt_field, "Portrait")
    obj.full_clean()


@pytest.mark.django_db
def test_rendition_resizes_once_and_keeps_the_aspect_ratio():
    article = make_article(lead_image_alt="Chart")
    article.lead_image.save("chart.png", ContentFile(image_bytes(size=(1600, 900))))

    first = rendition(article.lead_image, 800)

    assert (first.width, first.height) == (800, 450)
    stored = first.url.removeprefix("/media/")
    assert default_storage.exists(stored)
    with default_storage.open(stored) as f, Image.open(f) as made:
        assert made.size == (800, 450)
    assert rendition(article.lead_image, 800) == first


@pytest.mark.django_db
def test_rendition_never_upscales_and_tolerates_missing_files():
    article = make_article(lead_image_alt="Small")
    article.lead_image.save("small.png", ContentFile(image_bytes(size=(300, 200))))
    small = rendition(article.lead_image, 800)
    assert (small.url, small.width) == (article.lead_image.url, 300)
    article.lead_image.name = "articles/gone.png"
    assert rendition(article.lead_image, 800) is None
    assert rendition(make_article().lead_image, 800) is None


@pytest.mark.django_db
def test_rendition_template_tag():
    issue = make_issue(cover_image_alt="Cover")
    issue.cover_image.save("cover.jpg", ContentFile(image_bytes(size=(1200, 1600), kind="JPEG")))
    html = Template(
        "{% load article_images %}{% rendition issue.cover_image 300 as img %}"
        '<img src="{{ img.url }}" width="{{ img.width }}" height="{{ img.height }}">'
    ).render(Context({"issue": issue}))
    assert 'width="300" height="400"' in html
    assert "-300w.jpg" in html


@pytest.mark.django_db
def test_a_stored_image_is_not_read_again_on_every_save():
    article = make_article(lead_image_alt="Chart")
    article.lead_image.save("chart.png", ContentFile(image_bytes()))
    default_storage.delete(article.lead_image.name)
    article.title = "Retitled"
    article.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("article.pdf", b"%PDF-1.7\n...", None),
        ("article.docx", b"%PDF-1.7\n...", "as a .pdf file"),
        ("article.pdf", image_bytes(), "not a PDF"),
    ],
)
def test_article_pdf_must_be_a_pdf(name, data, message):
    article = make_article()
    article.pdf = upload(data, name=name)
    if message is None:
        article.full_clean()
        return
    with pytest.raises(ValidationError, match=message) as error:
        article.full_clean()
    assert list(error.value.message_dict) == ["pdf"]


@pytest.mark.django_db
def test_rendition_srcset_tag():
    article = make_article(lead_image_alt="Chart")
    article.lead_image.save("wide.png", ContentFile(image_bytes(size=(1000, 500))))
    srcset = Template(
        "{% load article_images %}{% rendition_srcset article.lead_image 400 800 1200 1600 %}"
    ).render(Context({"article": article}))
    parts = [p.rsplit(" ", 1)[1] for p in srcset.split(", ")]
    assert parts == ["400w", "800w", "1000w"]
    assert article.lead_image.url in srcset


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cover.png", b"GIF89a? no, a text file", "Upload a valid image."),
        ("cover.gif", image_bytes(kind="GIF"), "GIF images are not accepted."),
        ("cover.png", image_bytes(size=(400, 60)), "it needs at least 100 a side"),
        (
            "cover.bmp",
            image_bytes(size=(2000, 1800), kind="BMP"),
            "This file is 10.3\xa0MB; images may be at most 10.0\xa0MB.",
        ),
    ],
    ids=["not-an-image", "gif", "too-small", "oversized"],
)
def test_the_admin_shows_why_an_image_is_refused(admin_client, name, data, message):
    from django.urls import reverse

    from articles.models import Issue
    from tests.factories import make_journal

    response = admin_client.post(
        reverse("admin:articles_issue_add"),
        {
            "journal": make_journal().pk,
            "volume": "12",
            "number": "3",
            "kind": "regular",
            "slug": "june-2022",
            "cover_date": "2022-06-01",
            "cover_image": upload(data, name=name),
            "cover_image_alt": "Cover of the June 2022 issue",
            "status": "draft",
        },
    )

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors["cover_image"])
    assert not Issue.objects.exists()
