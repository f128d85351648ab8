"""The opening record (开标记录表) as an HTML page and a PDF, and the platform's signature over it.
No Django: WeasyPrint is imported only when a PDF is made.

The signature is the platform's Ed25519 signature (``kernel.keys``) over
``b"yingshang-opening-record/1\\n"`` followed by the RFC 8785 canonical JSON of
``{"type", "session_id", "ocid", "lot_id", "record_sha256", "pdf_sha256"}``: whoever holds the
platform's public key (``GET /api/v1/trading/bids/public-key``) checks the JSON record and the PDF
offline.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

RECORD_TYPE = "yingshang-opening-record/1"
SIGNATURE_CONTEXT = b"yingshang-opening-record/1\n"

DECRYPTION_ZH = {"decrypted": "解密成功", "failed": "解密失败", "pending": "未解密"}
CLASSIFICATION_ZH = {"revoked": "视为撤销", "withdrawn": "视为撤回", "": ""}
CONFIRMATION_ZH = {"confirmed": "已确认", "objected": "有异议", "unconfirmed": "未确认"}


def _yuan(fen: Any) -> str:
    if fen is None:
        return ""
    return f"{int(fen) // 100:,}.{int(fen) % 100:02d}"


def record_html(record: Mapping[str, Any], *, title: str) -> str:
    """The record as a printable page (A4 landscape, Chinese)."""
    esc = escape
    rows = []
    for number, row in enumerate(record.get("rows", []), start=1):
        rows.append(
            "<tr>"
            f"<td>{number}</td><td>{esc(str(row.get('bidder', '')))}<br><small>{esc(str(row.get('uscc', '')))}</small></td>"
            f"<td class='n'>{esc(_yuan(row.get('price_fen')))}</td><td>{esc(str(row.get('price_uppercase') or ''))}</td>"
            f"<td class='n'>{esc(str(row.get('duration_days') or ''))}</td><td>{esc(str(row.get('quality') or ''))}</td>"
            f"<td>{esc(str(row.get('project_manager') or ''))}</td><td>{esc(str(row.get('deposit_status') or ''))}</td>"
            f"<td>{esc(DECRYPTION_ZH.get(str(row.get('decryption')), str(row.get('decryption'))))}"
            f"{'<br>' + esc(CLASSIFICATION_ZH.get(str(row.get('classification')), '')) if row.get('classification') else ''}</td>"
            f"<td>{esc(CONFIRMATION_ZH.get(str(row.get('confirmation')), ''))}</td>"
            "</tr>"
        )
    objections = "".join(
        f"<li><b>{esc(str(o.get('bidder_uscc', '')))}</b>：{esc(str(o.get('text', '')))}"
        f"<br>答复：{esc(str(o.get('answer', '')))}</li>"
        for o in record.get("objections", [])
    )
    control = record.get("control_price_fen")
    return (
        "<!doctype html><html lang='zh-Hans'><head><meta charset='utf-8'>"
        "<style>@page{size:A4 landscape;margin:14mm}body{font-family:'Noto Sans CJK SC',sans-serif;font-size:10pt}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #333;padding:3px}"
        ".n{text-align:right}h1{font-size:15pt;text-align:center}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        f"<p>项目编号（OCID）：{esc(str(record.get('ocid', '')))}　标段：{esc(str(record.get('lot_id', '')))}"
        f"　开标时间：{esc(str(record.get('opened_at') or ''))}　解密结束：{esc(str(record.get('window_closed_at') or ''))}</p>"
        f"<p>截止时收到投标文件：{esc(str(record.get('bids_received', '')))} 份"
        + (f"　控制价：{esc(_yuan(control))} 元" if control else "")
        + "</p>"
        "<table><tr><th>序号</th><th>投标人</th><th>投标报价（元）</th><th>报价大写</th><th>工期（日历天）</th>"
        "<th>质量</th><th>项目经理</th><th>保证金</th><th>解密</th><th>确认</th></tr>"
        + "".join(rows)
        + "</table>"
        + (f"<h2>现场异议及答复</h2><ol>{objections}</ol>" if objections else "")
        + f"<p><small>{RECORD_TYPE}　SHA-256（JSON）：{esc(str(record.get('record_sha256', '')))}</small></p>"
        "</body></html>"
    )


def render_pdf(page: str, *, title: str, author: str) -> bytes:
    """The page as PDF bytes (fonts embedded, no creation date)."""
    from weasyprint import HTML  # heavy import: only when a PDF is made

    document = HTML(string=page).render()
    document.metadata.title = title or None
    document.metadata.authors = [author] if author else []
    document.metadata.created = None
    document.metadata.modified = None
    return bytes(document.write_pdf())


def signed_payload(
    *, session_id: int, ocid: str, lot_id: int, record_sha256: str, pdf_sha256: str
) -> dict[str, Any]:
    return {
        "type": RECORD_TYPE,
        "session_id": session_id,
        "ocid": ocid,
        "lot_id": lot_id,
        "record_sha256": record_sha256,
        "pdf_sha256": pdf_sha256,
    }


def sign(
    payload: Mapping[str, Any], key: Ed25519PrivateKey, *, key_id: str, public_key_b64: str
) -> dict[str, Any]:
    signature = key.sign(SIGNATURE_CONTEXT + rfc8785.dumps(dict(payload)))
    return {
        "payload": dict(payload),
        "algorithm": "Ed25519",
        "key_id": key_id,
        "public_key": public_key_b64,
        "signature": base64.b64encode(signature).decode(),
    }
