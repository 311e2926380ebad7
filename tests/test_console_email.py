"""In development, emails are printed to the terminal as a person would read them."""

import io

from django.core.mail import EmailMultiAlternatives

from jhop.mail import ConsoleEmailBackend


def test_console_email_prints_the_text_part_as_written():
    link = "https://jhop.example.org/subscribe/confirm/" + "a1=" * 400 + "/"  # one long line
    message = EmailMultiAlternatives(
        subject="Please confirm your subscription",
        body=f"Hello Zoë,\n\nConfirm here:\n{link}\n\n— JHOP\n",
        from_email="JHOP <newsletter@example.org>",
        to=["zoe@example.org"],
        headers={"List-Unsubscribe": "<https://jhop.example.org/u/>"},
    )
    message.attach_alternative("<p>" + "Hello Zoë " * 500 + "</p>", "text/html")
    assert "=3D" in message.message().as_string()  # what Django's console backend printed
    stream = io.StringIO()
    ConsoleEmailBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert printed.startswith("From: JHOP <newsletter@example.org>\nTo: zoe@example.org\n")
    assert "Subject: Please confirm your subscription\n" in printed
    assert "List-Unsubscribe: <https://jhop.example.org/u/>" in printed
    assert f"Hello Zoë,\n\nConfirm here:\n{link}\n\n— JHOP\n" in printed
    assert "=3D" not in printed and "<p>" not in printed
    assert "[text/html alternative: 5007 characters, not shown]" in printed
