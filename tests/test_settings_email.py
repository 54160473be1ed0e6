"""Where the file mail backend writes: the folder that EMAIL_URL names, never a doubled path."""

from pathlib import Path

import pytest

from fundmgr import settings as project_settings


@pytest.mark.parametrize(("url", "folder"), [
    ("", project_settings.VAR_DIR / "mail"),  # the default: var/mail of the project, wherever it runs from
    ("filemail:///srv/khuyenhoc/mail", Path("/srv/khuyenhoc/mail")),
    ("filemail:////srv/khuyenhoc/mail", Path("/srv/khuyenhoc/mail")),  # the old spelling still works
    ("filemail://var/mail", project_settings.BASE_DIR / "var" / "mail"),
])
def test_a_filemail_url_names_the_folder_mail_is_written_to(url, folder):
    email = project_settings._email_settings(url)
    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(email["EMAIL_FILE_PATH"]) == folder
    assert Path(email["EMAIL_FILE_PATH"]).is_absolute()


def test_an_smtp_url_is_read_by_django_environ():
    email = project_settings._email_settings("smtp+tls://user:secret@mail.example.org:587")
    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"], email["EMAIL_USE_TLS"]) == ("mail.example.org", 587, True)
