"""VietQR payloads, checked by a decoder written here from the NAPAS spec, not by the builder's own code.

The decoder is a generic EMVCo TLV reader (tag: 2 digits, length: 2 digits, value) and the CRC is
`binascii.crc_hqx(data, 0xFFFF)`, which is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), over
the payload up to and including "6304".
"""

import binascii

import pytest

from fundmgr.core.vietqr import ascii_memo, qr_svg, transfer_memo, vietqr_payload

# Published in the README of github.com/subiz/vietqr ("Sinh mã chuyển khoản 120.000 vào STK
# 0011001932418 ngân hàng Vietin với ghi chú 'ủng hộ lũ lụt'").
PUBLISHED_SUBIZ = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)
# Published in the README of github.com/thanhtinhpas1/vietqr-parser (Vietcombank account, no amount).
PUBLISHED_PARSER = (
    "00020001021238570010A00000072701270006970436011308810004580860208QRIBFTTA53037045802VN6304CD60"
)


def tlv_decode(text: str) -> dict[str, str]:
    """Every data object at this level, in order; fails on a length that runs past the end."""
    objects, position = {}, 0
    while position < len(text):
        tag, length = text[position:position + 2], int(text[position + 2:position + 4])
        value = text[position + 4:position + 4 + length]
        assert len(value) == length, f"object {tag} claims {length} characters, has {len(value)}"
        assert tag not in objects, f"object {tag} appears twice"
        objects[tag] = value
        position += 4 + length
    return objects


def crc_ok(payload: str) -> bool:
    body, crc = payload[:-4], payload[-4:]
    return body.endswith("6304") and f"{binascii.crc_hqx(body.encode('ascii'), 0xFFFF):04X}" == crc


@pytest.mark.parametrize("payload", [PUBLISHED_SUBIZ, PUBLISHED_PARSER])
def test_the_crc_of_published_payloads_checks_out(payload):
    assert crc_ok(payload)
    assert list(tlv_decode(payload))[-1] == "63"


def test_the_builder_reproduces_a_published_payload_character_for_character():
    assert vietqr_payload(
        bank_bin="970415", account_number="0011001932418", amount=120_000, memo="ung ho lu lut"
    ) == PUBLISHED_SUBIZ


def test_a_pledge_payload_decodes_to_the_napas_transfer_profile():
    payload = vietqr_payload(
        bank_bin="970436", account_number="0011004123456", amount=5_000_000, memo=transfer_memo("TKH26-7KQ3M")
    )
    root = tlv_decode(payload)
    assert list(root) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert root["00"] == "01"
    assert root["01"] == "12"  # dynamic: it carries an amount
    merchant = tlv_decode(root["38"])
    assert merchant == {"00": "A000000727", "01": "00069704360113" + "0011004123456", "02": "QRIBFTTA"}
    assert tlv_decode(merchant["01"]) == {"00": "970436", "01": "0011004123456"}
    assert root["53"] == "704"
    assert root["54"] == "5000000"
    assert root["58"] == "VN"
    assert tlv_decode(root["62"]) == {"08": "UNG HO TKH26-7KQ3M"}
    assert crc_ok(payload)


def test_without_an_amount_the_code_is_static_and_has_no_amount():
    root = tlv_decode(vietqr_payload(bank_bin="970436", account_number="0881000458086"))
    assert root["01"] == "11"
    assert "54" not in root and "62" not in root


def test_a_changed_character_breaks_the_crc():
    payload = vietqr_payload(bank_bin="970436", account_number="0011004123456", amount=500_000, memo="UNG HO X")
    assert crc_ok(payload)
    assert not crc_ok(payload.replace("500000", "900000"))


def test_the_memo_is_the_reference_without_diacritics():
    assert transfer_memo("TKH26-7KQ3M") == "UNG HO TKH26-7KQ3M"
    assert ascii_memo("Ủng hộ Quỹ Đức Thọ – đợt 2") == "UNG HO QUY DUC THO DOT 2"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"bank_bin": "97043", "account_number": "1"}, "6 digits"),
        ({"bank_bin": "970436", "account_number": "0011-004"}, "account number"),
        ({"bank_bin": "970436", "account_number": "1" * 20}, "account number"),
        ({"bank_bin": "970436", "account_number": "1", "amount": 0}, "positive"),
        ({"bank_bin": "970436", "account_number": "1", "amount": True}, "positive"),
        ({"bank_bin": "970436", "account_number": "1", "memo": "Ủng hộ"}, "ASCII"),
        ({"bank_bin": "970436", "account_number": "1", "memo": "X" * 26}, "at most 25"),
    ],
)
def test_bad_input_is_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        vietqr_payload(**arguments)


def test_the_qr_image_is_inline_svg_without_style_attributes():
    svg = qr_svg(PUBLISHED_SUBIZ, title="VietQR")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title>VietQR</title>" in svg
    assert "style=" not in svg and "<script" not in svg
