#!/usr/bin/env python3
"""Check a proof from the association's transparency log, with nothing but Python 3.

A donor or an auditor runs this on their own machine: it needs only the standard library, not the
association's software, and it trusts nothing but the hashes given on the command line. The tree is
the one of Certificate Transparency (RFC 9162 §2.1): leaf = SHA-256(0x00 ‖ entry hash),
node = SHA-256(0x01 ‖ left ‖ right). See docs/transparency.md.

    python3 transparency_verify.py inclusion --leaf-hash HEX --index I --size N --root HEX --proof HEX,HEX
    python3 transparency_verify.py consistency --old-size M --new-size N --old-root HEX --new-root HEX --proof HEX,HEX

`--leaf-hash` is the leaf's hash (SHA-256(0x00 ‖ entry hash)); give `--entry-hash` instead to have
the script compute it. Exit status 0: the proof holds; 1: it does not; 2: the arguments are wrong.
"""

import argparse
import hashlib
import sys


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


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check an inclusion or consistency proof (RFC 9162).")
    commands = parser.add_subparsers(dest="command", required=True)
    inclusion = commands.add_parser("inclusion", help="is this entry in the tree with this root?")
    leaf = inclusion.add_mutually_exclusive_group(required=True)
    leaf.add_argument("--leaf-hash", type=hex_hash, help="SHA-256(0x00 ‖ entry hash), hex")
    leaf.add_argument("--entry-hash", type=hex_hash, help="the journal entry's hash, hex")
    inclusion.add_argument("--index", type=int, required=True, help="the leaf's position, from 0")
    inclusion.add_argument("--size", type=int, required=True, help="the checkpoint's tree size")
    inclusion.add_argument("--root", type=hex_hash, required=True, help="the checkpoint's root hash, hex")
    inclusion.add_argument("--proof", type=hex_list, default=[], help="the audit path, hex, comma-separated")
    consistency = commands.add_parser("consistency", help="does the new tree extend the old one?")
    consistency.add_argument("--old-size", type=int, required=True)
    consistency.add_argument("--new-size", type=int, required=True)
    consistency.add_argument("--old-root", type=hex_hash, required=True)
    consistency.add_argument("--new-root", type=hex_hash, required=True)
    consistency.add_argument("--proof", type=hex_list, default=[], help="hex, comma-separated")
    arguments = parser.parse_args(argv)

    if arguments.command == "inclusion":
        leaf_hash = arguments.leaf_hash
        if leaf_hash is None:
            leaf_hash = hashlib.sha256(b"\x00" + arguments.entry_hash).digest()
        holds = verify_inclusion(leaf_hash, arguments.index, arguments.size, arguments.proof, arguments.root)
        print("included" if holds else "not included")
    else:
        holds = verify_consistency(
            arguments.old_size, arguments.new_size, arguments.old_root, arguments.new_root, arguments.proof
        )
        print("consistent" if holds else "not consistent")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
