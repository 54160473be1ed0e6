"""The checkpoint signature: Ed25519 over a fixed text, with a key that never enters the database.

The signed message (`checkpoint_message`, repeated byte for byte in docs/transparency.md and in
scripts/transparency_verify.py) is five lines of UTF-8, each ended by a line feed:

    fundmgr-checkpoint/v1
    <origin>
    <tree size, decimal>
    <root hash, 64 lowercase hexadecimal digits>
    <time, UTC, RFC 3339 to the second: 2026-12-06T22:35:26Z>

The private key comes from `TRANSPARENCY_SIGNING_KEY` (PEM, or the base64 of the 32-byte seed), else
from the file `TRANSPARENCY_SIGNING_KEY_FILE`; in development and tests, with neither, from a key
generated once into `TRANSPARENCY_DEV_KEY_FILE`. A key's id is the hex SHA-256 of its raw 32-byte
public key, so anyone holding the published public key can tell which checkpoints it signed.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MESSAGE_FORMAT = "fundmgr-checkpoint/v1"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class SigningKeyMissing(ImproperlyConfigured):
    """No signing key is configured (production must set one)."""


@dataclass(frozen=True)
class SignedCheckpoint:
    """What a checkpoint says and its signature, as published and as copied outside the database."""

    origin: str
    tree_size: int
    root_hash: str  # 64 lowercase hex
    time: datetime.datetime  # UTC, whole seconds
    key_id: str
    signature: str  # 128 lowercase hex
    public_key: str = ""  # base64 of the signer's 32 raw bytes: which key to check with (trust its key id, not it)

    def message(self) -> bytes:
        return checkpoint_message(origin=self.origin, tree_size=self.tree_size, root_hash=self.root_hash, time=self.time)


def time_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime(TIME_FORMAT)


def time_parse(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.UTC)


def checkpoint_message(*, origin: str, tree_size: int, root_hash: str, time: datetime.datetime) -> bytes:
    """The exact bytes that are signed (the module docstring gives the format)."""
    if "\n" in origin or "\r" in origin:
        raise ValueError("a checkpoint's origin is one line")
    if len(root_hash) != 64 or root_hash != root_hash.lower():
        raise ValueError("a root hash is 64 lowercase hexadecimal digits")
    lines = [MESSAGE_FORMAT, origin, str(int(tree_size)), root_hash, time_text(time)]
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


# --- keys ---------------------------------------------------------------------------------------
def private_key_parse(text: str | bytes) -> Ed25519PrivateKey:
    """A PEM (PKCS#8) Ed25519 private key, or the base64 of its 32-byte seed."""
    data = text.encode("ascii") if isinstance(text, str) else text
    data = data.strip()
    if data.startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("the transparency signing key is not an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(data, validate=True)
    except binascii.Error as error:
        raise ImproperlyConfigured("the transparency signing key is neither PEM nor base64") from error
    if len(seed) != 32:
        raise ImproperlyConfigured("a base64 transparency signing key holds the 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_parse(text: str) -> Ed25519PublicKey:
    """The public key as published: base64 of its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_raw(key)).hexdigest()


def key_source() -> str:
    """Where the signing key comes from: "environment", "file", "development" or "" (none)."""
    if settings.TRANSPARENCY_SIGNING_KEY:
        return "environment"
    if settings.TRANSPARENCY_SIGNING_KEY_FILE:
        return "file"
    if settings.TRANSPARENCY_DEV_KEY_FILE:
        return "development"
    return ""


def signing_key() -> Ed25519PrivateKey:
    """The configured private key; SigningKeyMissing when there is none (DEBUG off, nothing set)."""
    source = key_source()
    if source == "environment":
        return private_key_parse(settings.TRANSPARENCY_SIGNING_KEY)
    if source == "file":
        try:
            return private_key_parse(Path(settings.TRANSPARENCY_SIGNING_KEY_FILE).read_bytes())
        except OSError as error:
            raise ImproperlyConfigured(f"cannot read TRANSPARENCY_SIGNING_KEY_FILE: {error}") from error
    if source == "development":
        return _development_key(Path(settings.TRANSPARENCY_DEV_KEY_FILE))
    raise SigningKeyMissing(
        "No transparency signing key: set TRANSPARENCY_SIGNING_KEY or TRANSPARENCY_SIGNING_KEY_FILE "
        "(docs/transparency.md, key management)."
    )


def _development_key(path: Path) -> Ed25519PrivateKey:
    """The development key, generated on first use; O_EXCL so that two processes keep one key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process wrote it first: use theirs
        else:
            with os.fdopen(descriptor, "wb") as key_file:
                key_file.write(private_key_pem(key))
            return key
    return private_key_parse(path.read_bytes())


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


# --- signing and checking -----------------------------------------------------------------------
def checkpoint_sign(*, origin: str, tree_size: int, root_hash: str, time: datetime.datetime) -> SignedCheckpoint:
    key = signing_key()
    time = time.astimezone(datetime.UTC).replace(microsecond=0)
    message = checkpoint_message(origin=origin, tree_size=tree_size, root_hash=root_hash, time=time)
    return SignedCheckpoint(
        origin=origin, tree_size=tree_size, root_hash=root_hash, time=time,
        key_id=key_id(key.public_key()), signature=key.sign(message).hex(),
        public_key=public_key_text(key.public_key()),
    )


def signature_valid(checkpoint: SignedCheckpoint, key: Ed25519PublicKey) -> bool:
    """True when `key` signed exactly what `checkpoint` says (and its key id is that key's)."""
    if checkpoint.key_id != key_id(key):
        return False
    try:
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_json(checkpoint: SignedCheckpoint) -> dict:
    """The published form, the same in `/transparency/checkpoints/`, the file copy and the e-mail."""
    return {
        "tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash, "time": time_text(checkpoint.time),
        "origin": checkpoint.origin, "key_id": checkpoint.key_id, "signature": checkpoint.signature,
        "public_key": checkpoint.public_key,
    }


def checkpoint_from_json(data: dict) -> SignedCheckpoint:
    """The published form read back; ValueError (or KeyError, TypeError) when it is malformed."""
    return SignedCheckpoint(
        origin=str(data["origin"]), tree_size=int(data["tree_size"]), root_hash=str(data["root_hash"]),
        time=time_parse(str(data["time"])), key_id=str(data["key_id"]), signature=str(data["signature"]),
        public_key=str(data.get("public_key", "")),
    )
