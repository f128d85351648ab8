"""PDF rendering with Chinese text: a real PDF, read back with pypdf."""

from __future__ import annotations

import io

from pypdf import PdfReader

from yingshang.trading.documents import catalogue, rendering


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources else None
        for ref in (fonts or {}).values():
            font = ref.get_object()
            names.add(str(font.get("/BaseFont")))
    return names


def test_a_filled_template_renders_to_a_pdf_with_embedded_chinese_fonts() -> None:
    template = catalogue.load_catalogue()[("works-construction", 1)]
    values = {
        "project_name": "雄安新区容东片区道路工程",
        "ceiling_price": 985_000_000,
        "bid_deadline": "2026-12-30",
    }
    info = rendering.RenderInfo(
        tender_code="XA-2026-001",
        tender_title="容东片区道路工程",
        version=2,
        kind="amendment",
        issued_on="2026年12月1日",
        reason="调整计划工期",
        changes=(rendering.Change("计划工期", "300日历天", "360日历天"),),
        answers=(rendering.QuestionAnswer(1, "是否接受联合体投标？", "不接受。"),),
    )
    pdf = rendering.render_pdf(rendering.render_html(template, values, info), title="容东", author="XA")
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in (
        "雄安新区容东片区道路工程",
        "标准施工招标文件",
        "第一章 招标公告",
        "¥9,850,000.00（人民币玖佰捌拾伍万元整）",
        "2026年12月30日",
        "是否接受联合体投标？",
        "360日历天",
    ):
        assert expected in text, expected
    assert any("Noto" in name and "CJK" in name for name in _fonts(reader)), _fonts(reader)
    assert reader.metadata is not None and reader.metadata.title == "容东"


def test_blank_fields_are_printed_as_blanks_and_markup_is_escaped() -> None:
    template = catalogue.load_catalogue()[("goods-equipment", 1)]
    info = rendering.RenderInfo(
        tender_code="A", tender_title="<b>x</b>", version=1, kind="original", issued_on="-"
    )
    page = rendering.render_html(template, {"project_name": "<script>"}, info)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "________" in page
