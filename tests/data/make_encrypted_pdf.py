"""Writes ``pdf_encrypted.pdf``: a one-page PDF encrypted with the standard security handler.

RC4 40-bit (V1, R2, PDF 1.4 spec algorithms 3.1-3.4), user password ``user-secret``, owner
password ``owner-secret``. pypdfium2 cannot write encrypted files, so this builds one by hand;
``tests/test_fulltext_pdf.py`` checks that pdfium opens it with the password and shows the text.

Run: ``.venv/bin/python tests/data/make_encrypted_pdf.py``
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PADDING = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
USER_PASSWORD = b"user-secret"
OWNER_PASSWORD = b"owner-secret"
FILE_ID = bytes.fromhex("6461696c797061706572732d74657374")
PERMISSIONS = -44


def rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def pad(password: bytes) -> bytes:
    return (password + PADDING)[:32]


def build() -> bytes:
    owner_key = hashlib.md5(pad(OWNER_PASSWORD)).digest()[:5]
    o_value = rc4(owner_key, pad(USER_PASSWORD))
    key = hashlib.md5(
        pad(USER_PASSWORD) + o_value + PERMISSIONS.to_bytes(4, "little", signed=True) + FILE_ID
    ).digest()[:5]
    u_value = rc4(key, PADDING)

    def encrypt(number: int, data: bytes) -> bytes:
        object_key = hashlib.md5(key + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]
        return rc4(object_key, data)

    content = encrypt(4, b"BT /F1 24 Tf 72 700 Td (Hello encrypted world) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (o_value.hex().encode(), u_value.hex().encode(), PERMISSIONS),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 6 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        FILE_ID.hex().encode(),
        FILE_ID.hex().encode(),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


if __name__ == "__main__":
    target = Path(__file__).with_name("pdf_encrypted.pdf")
    target.write_bytes(build())
    print(f"wrote {target} ({target.stat().st_size} bytes)")
