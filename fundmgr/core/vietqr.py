"""VietQR: the bank-transfer QR code that Vietnamese banking apps scan.

A VietQR payload is an EMVCo merchant-presented QR string: data objects written as
tag (2 digits) + length (2 digits) + value, nested where a value is itself a template, and a
CRC at the end. NAPAS ("Technical Specifications on NAPAS QR Switching", v1.5.2, part IV)
fixes the Vietnamese profile used here, transfer to an account (IBFT):

    00 payload format indicator  "01"
    01 point of initiation       "11" static (no amount), "12" dynamic (with an amount)
    38 merchant account information (NAPAS)
       00 GUID                   "A000000727"
       01 beneficiary organisation
          00 acquirer / bank BIN  6 digits, e.g. 970436 (Vietcombank)
          01 account number       up to 19 characters
       02 service code           "QRIBFTTA" (transfer to an account)
    53 currency                  "704" (VND)
    54 amount                    whole dong, digits only (VND has no minor unit)
    58 country                   "VN"
    62 additional data
       08 purpose of transaction the transfer memo, ASCII, up to 25 characters
    63 CRC                       CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the whole
                                 payload up to and including "6304", as 4 upper-case hex digits

The memo carries the pledge reference so that bank-statement import can match the transfer.
"""

import re
import unicodedata

import segno

GUID_NAPAS = "A000000727"
SERVICE_TRANSFER_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY_VIETNAM = "VN"
MEMO_MAX_LENGTH = 25

_BIN = re.compile(r"\d{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_MEMO = re.compile(r"[A-Za-z0-9 -]*")


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if not 1 <= len(value) <= 99:
        raise ValueError(f"VietQR data object {tag} must hold 1 to 99 characters, not {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def ascii_memo(text: str) -> str:
    """`text` without Vietnamese diacritics, upper-case, only what every bank app accepts."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9 -]+", " ", text)
    return re.sub(r"\s+", " ", text).strip().upper()


def transfer_memo(reference: str) -> str:
    """The memo a donor types (or the QR carries) for a pledge: `UNG HO TKH26-7KQ3M`."""
    return ascii_memo(f"Ủng hộ {reference}")


def vietqr_payload(*, bank_bin: str, account_number: str, amount: int | None = None, memo: str = "") -> str:
    """The VietQR string for a transfer of `amount` dong (None: the payer types it) with `memo`.

    `memo` must already be plain ASCII (see `ascii_memo`): a bank app shows it as it is.
    """
    if not _BIN.fullmatch(bank_bin):
        raise ValueError(f"a bank BIN has 6 digits, not {bank_bin!r}")
    if not _ACCOUNT.fullmatch(account_number):
        raise ValueError(f"an account number has 1 to 19 letters or digits, not {account_number!r}")
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0):
        raise ValueError(f"the amount is a positive whole number of dong, not {amount!r}")
    if not _MEMO.fullmatch(memo):
        raise ValueError(f"the memo must be plain ASCII letters, digits, spaces and '-': {memo!r}")
    if len(memo) > MEMO_MAX_LENGTH:
        raise ValueError(f"the memo holds at most {MEMO_MAX_LENGTH} characters: {memo!r}")

    beneficiary = _tlv("00", bank_bin) + _tlv("01", account_number)
    merchant = _tlv("00", GUID_NAPAS) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TRANSFER_TO_ACCOUNT)
    parts = [
        _tlv("00", "01"),
        _tlv("01", "12" if amount is not None else "11"),
        _tlv("38", merchant),
        _tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(_tlv("54", str(amount)))
    parts.append(_tlv("58", COUNTRY_VIETNAM))
    if memo:
        parts.append(_tlv("62", _tlv("08", memo)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def qr_svg(payload: str, *, title: str = "VietQR") -> str:
    """The payload as an inline SVG QR code (no style attributes: the page's CSP allows none)."""
    code = segno.make(payload, error="m", micro=False)
    return code.svg_inline(
        scale=4, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr-code", lineclass=None,
        title=title,
    )
