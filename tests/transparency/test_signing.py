"""Checkpoint signatures: the signed text, round trip, tampering, where the key comes from."""

import base64
import datetime
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from fundmgr.transparency import signing

TIME = datetime.datetime(2026, 12, 6, 22, 35, 26, 123456, tzinfo=datetime.UTC)
ROOT = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def test_the_signed_text_is_five_fixed_lines():
    message = signing.checkpoint_message(origin="khuyenhoc.example.vn", tree_size=8, root_hash=ROOT, time=TIME)
    assert message == (
        b"fundmgr-checkpoint/v1\nkhuyenhoc.example.vn\n8\n" + ROOT.encode() + b"\n2026-12-06T22:35:26Z\n"
    )
    with pytest.raises(ValueError):
        signing.checkpoint_message(origin="a\nb", tree_size=8, root_hash=ROOT, time=TIME)


def test_round_trip_and_tampering():
    signed = signing.checkpoint_sign(origin="khuyenhoc.example.vn", tree_size=8, root_hash=ROOT, time=TIME)
    key = signing.public_key_parse(signed.public_key)
    assert signed.time == TIME.replace(microsecond=0)
    assert signed.key_id == signing.key_id(signing.public_key())
    assert signing.signature_valid(signed, key)
    assert signing.signature_valid(signing.checkpoint_from_json(signing.checkpoint_json(signed)), key)

    changed_root = signing.checkpoint_from_json({**signing.checkpoint_json(signed), "root_hash": "0" * 64})
    changed_size = signing.checkpoint_from_json({**signing.checkpoint_json(signed), "tree_size": 9})
    assert not signing.signature_valid(changed_root, key)
    assert not signing.signature_valid(changed_size, key)
    other_key = Ed25519PrivateKey.generate().public_key()
    assert not signing.signature_valid(signed, other_key)


def test_key_from_the_environment_as_pem_or_base64_seed(settings):
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    expected = signing.key_id(key.public_key())
    settings.TRANSPARENCY_SIGNING_KEY = base64.b64encode(seed).decode()
    assert (signing.key_source(), signing.key_id(signing.public_key())) == ("environment", expected)
    settings.TRANSPARENCY_SIGNING_KEY = signing.private_key_pem(key).decode()
    assert signing.key_id(signing.public_key()) == expected


def test_key_from_a_file(settings, tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "key.pem"
    path.write_bytes(signing.private_key_pem(key))
    settings.TRANSPARENCY_SIGNING_KEY_FILE = str(path)
    assert (signing.key_source(), signing.key_id(signing.public_key())) == ("file", signing.key_id(key.public_key()))


def test_development_key_is_generated_once_private(settings, tmp_path):
    path = tmp_path / "var" / "transparency" / "signing-key.pem"
    settings.TRANSPARENCY_DEV_KEY_FILE = str(path)
    first = signing.key_id(signing.public_key())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signing.key_id(signing.public_key()) == first


def test_no_key_without_debug_fails_clearly_and_the_check_warns(settings, capsys):
    settings.TRANSPARENCY_DEV_KEY_FILE = ""
    with pytest.raises(signing.SigningKeyMissing, match="TRANSPARENCY_SIGNING_KEY"):
        signing.checkpoint_sign(origin="o", tree_size=0, root_hash=ROOT, time=TIME)
    call_command("check")
    assert "transparency.W001" in capsys.readouterr().err
