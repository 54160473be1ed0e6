#!/usr/bin/env python3
"""Check a proof from the association's transparency log, with nothing but Python 3.

A donor or an auditor runs this on their own machine: it needs only the standard library, not the
association's software, and it trusts nothing but the hashes given on the command line. The tree is
the one of Certificate Transparency (RFC 9162 §2.1): leaf = SHA-256(0x00 ‖ entry hash),
node = SHA-256(0x01 ‖ left ‖ right). See docs/transparency.md.

    python3 transparency_verify.py inclusion --leaf-hash HEX --index I --size N --root HEX --proof HEX,HEX
    python3 transparency_verify.py consistency --old-size M --new-size N --old-root HEX --new-root HEX --proof HEX,HEX
    python3 transparency_verify.py checkpoint --checkpoint FILE --public-key BASE64

`--leaf-hash` is the leaf's hash (SHA-256(0x00 ‖ entry hash)); give `--entry-hash` instead to have
the script compute it. A signed checkpoint (a JSON file, as published) can stand for a size and a root:
`--checkpoint FILE`, `--old-checkpoint FILE`, `--new-checkpoint FILE`; with `--public-key` its signature
is checked first. Only signatures need the `cryptography` package. Exit status 0: the proof (or the
signature) holds; 1: it does not; 2: the arguments are wrong.
"""

import argparse
import base64
import hashlib
import json
import sys

MESSAGE_FORMAT = "fundmgr-checkpoint/v1"


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def climb(first, last):
    # A right-most node with no sibling at these levels: go up until it is a right child.
    while first and not first & 1:
        first, last = first >> 1, last >> 1
    return first, last


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size or any(len(item) != 32 for item in proof):
        return False
    first, last, computed = index, size - 1, leaf_hash
    for sibling in proof:
        if last == 0:
            return False
        if first & 1 or first == last:
            computed = node(sibling, computed)
            if not first & 1:
                first, last = climb(first, last)
        else:
            computed = node(computed, sibling)
        first, last = first >> 1, last >> 1
    return last == 0 and computed == root


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """RFC 9162 §2.1.4.2; equal sizes need equal roots, and every tree extends the empty one."""
    if not 0 <= old_size <= new_size or any(len(item) != 32 for item in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = ([old_root] if old_size & (old_size - 1) == 0 else []) + list(proof)
    first, last = old_size - 1, new_size - 1
    while first & 1:
        first, last = first >> 1, last >> 1
    old_computed = new_computed = path[0]
    for item in path[1:]:
        if last == 0:
            return False
        if first & 1 or first == last:
            old_computed, new_computed = node(item, old_computed), node(item, new_computed)
            if not first & 1:
                first, last = climb(first, last)
        else:
            new_computed = node(new_computed, item)
        first, last = first >> 1, last >> 1
    return last == 0 and old_computed == old_root and new_computed == new_root


def hex_hash(text):
    value = bytes.fromhex(text.strip())
    if len(value) != 32:
        raise ValueError("a hash is 64 hexadecimal digits")
    return value


def hex_list(text):
    return [hex_hash(item) for item in text.split(",") if item.strip()]


def load_checkpoint(path):
    """A checkpoint as published: one JSON object, the newest of a /transparency/checkpoints/ answer,
    or the last line of the JSON-lines copy."""
    with open(path, encoding="utf-8") as checkpoint_file:
        text = checkpoint_file.read()
    try:
        data = json.loads(text)
    except ValueError:
        data = json.loads(text.strip().splitlines()[-1])
    return data["checkpoints"][0] if "checkpoints" in data else data


def signed_message(checkpoint):
    """The five lines the association signs (docs/transparency.md, "The signed checkpoint")."""
    lines = [MESSAGE_FORMAT, checkpoint["origin"], str(int(checkpoint["tree_size"])), checkpoint["root_hash"],
             checkpoint["time"]]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def signature_valid(checkpoint, public_key):
    """Ed25519 over `signed_message`, by the key whose SHA-256 is the checkpoint's key id."""
    from cryptography.exceptions import InvalidSignature  # only signatures need the package
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = base64.b64decode(public_key)
    if hashlib.sha256(raw).hexdigest() != checkpoint["key_id"]:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(checkpoint["signature"]), signed_message(checkpoint))
    except (InvalidSignature, ValueError):
        return False
    return True


def size_and_root(parser, arguments, checkpoint_path, size, root):
    """(size, root) from the checkpoint file if given (its signature checked with --public-key), else as given."""
    if checkpoint_path is None:
        if size is None or root is None:
            parser.error("give a size and a root, or a checkpoint")
        return size, root
    checkpoint = load_checkpoint(checkpoint_path)
    if arguments.public_key and not signature_valid(checkpoint, arguments.public_key):
        print(f"signature invalid: {checkpoint_path}")
        sys.exit(1)
    return int(checkpoint["tree_size"]), hex_hash(checkpoint["root_hash"])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check an inclusion or consistency proof (RFC 9162).")
    commands = parser.add_subparsers(dest="command", required=True)
    inclusion = commands.add_parser("inclusion", help="is this entry in the tree with this root?")
    leaf = inclusion.add_mutually_exclusive_group(required=True)
    leaf.add_argument("--leaf-hash", type=hex_hash, help="SHA-256(0x00 ‖ entry hash), hex")
    leaf.add_argument("--entry-hash", type=hex_hash, help="the journal entry's hash, hex")
    inclusion.add_argument("--index", type=int, required=True, help="the leaf's position, from 0")
    inclusion.add_argument("--size", type=int, help="the checkpoint's tree size")
    inclusion.add_argument("--root", type=hex_hash, help="the checkpoint's root hash, hex")
    inclusion.add_argument("--checkpoint", metavar="FILE", help="a signed checkpoint instead of --size and --root")
    inclusion.add_argument("--proof", type=hex_list, default=[], help="the audit path, hex, comma-separated")
    consistency = commands.add_parser("consistency", help="does the new tree extend the old one?")
    consistency.add_argument("--old-size", type=int)
    consistency.add_argument("--new-size", type=int)
    consistency.add_argument("--old-root", type=hex_hash)
    consistency.add_argument("--new-root", type=hex_hash)
    consistency.add_argument("--old-checkpoint", metavar="FILE", help="instead of --old-size and --old-root")
    consistency.add_argument("--new-checkpoint", metavar="FILE", help="instead of --new-size and --new-root")
    consistency.add_argument("--proof", type=hex_list, default=[], help="hex, comma-separated")
    signature = commands.add_parser("checkpoint", help="did the association's key sign this checkpoint?")
    signature.add_argument("--checkpoint", metavar="FILE", required=True, help="the checkpoint, JSON")
    for command in (inclusion, consistency, signature):
        command.add_argument("--public-key", required=command is signature, help="the published key, base64")
    arguments = parser.parse_args(argv)

    if arguments.command == "checkpoint":
        holds = signature_valid(load_checkpoint(arguments.checkpoint), arguments.public_key)
        print("signature valid" if holds else "signature invalid")
    elif arguments.command == "inclusion":
        arguments.size, arguments.root = size_and_root(
            parser, arguments, arguments.checkpoint, arguments.size, arguments.root)
        leaf_hash = arguments.leaf_hash
        if leaf_hash is None:
            leaf_hash = hashlib.sha256(b"\x00" + arguments.entry_hash).digest()
        holds = verify_inclusion(leaf_hash, arguments.index, arguments.size, arguments.proof, arguments.root)
        print("included" if holds else "not included")
    else:
        arguments.old_size, arguments.old_root = size_and_root(
            parser, arguments, arguments.old_checkpoint, arguments.old_size, arguments.old_root)
        arguments.new_size, arguments.new_root = size_and_root(
            parser, arguments, arguments.new_checkpoint, arguments.new_size, arguments.new_root)
        holds = verify_consistency(
            arguments.old_size, arguments.new_size, arguments.old_root, arguments.new_root, arguments.proof
        )
        print("consistent" if holds else "not consistent")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
