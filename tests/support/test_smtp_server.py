"""The loopback SMTP server the e-mail tests rely on really speaks SMTP through Django's backend."""

import smtplib

import pytest
from django.core.mail import send_mail


def test_django_mail_reaches_the_loopback_server(smtp_server):
    send_mail("Hello", "Body text", "from@example.org", ["to@example.org"])
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["to@example.org"]
    assert received.message["Subject"] == "Hello"
    assert "Body text" in received.text


def test_the_server_can_refuse(smtp_server):
    smtp_server.refuse_next("451 4.3.0 try again later")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_mail("Hello", "Body", "from@example.org", ["to@example.org"])
    assert refused.value.smtp_code == 451
    send_mail("Hello", "Body", "from@example.org", ["to@example.org"])
    assert len(smtp_server.wait_for(1)) == 1
