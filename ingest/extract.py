"""Plain text out of docx, pdf and html, each through its library; no structure guessing here."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph
from selectolax.lexbor import LexborHTMLParser, LexborNode


class ExtractError(ValueError):
    """Raised with a Vietnamese reason; the loader turns it into an IngestError."""


# --- docx -------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:Heading|Tiêu đề)\s*([1-6])$", re.IGNORECASE)


def docx_text(data: bytes) -> tuple[str, str]:
    """(text, title from the document properties). Heading styles become Markdown '#' lines."""
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, opc and lxml errors on broken files
        raise ExtractError("tệp DOCX bị hỏng hoặc không phải định dạng DOCX") from exc
    lines = list(_docx_lines(document.iter_inner_content()))
    return "\n".join(lines), (document.core_properties.title or "").strip()


def _docx_lines(blocks: Iterator[Paragraph | Table]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield _paragraph_line(block)
        else:
            yield from _table_lines(block)


def _paragraph_line(paragraph: Paragraph) -> str:
    text = paragraph.text.strip()
    style = paragraph.style.name if paragraph.style is not None else ""
    match = _HEADING_STYLE.match(style or "")
    if text and match:
        return "#" * int(match.group(1)) + " " + text
    return text


def _table_lines(table: Table) -> Iterator[str]:
    """One line per row, cells joined by ' | '; merged cells (repeated by python-docx) once."""
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            yield " | ".join(cells)
    yield ""


# --- pdf --------------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^\s*(?:Trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?\s*$", re.IGNORECASE)


def pdf_text(data: bytes) -> tuple[str, str]:
    """(text, title from the PDF info). Lines that are only a page number are dropped."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError("tệp PDF được khoá bằng mật khẩu")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = str(info.title or "").strip() if info is not None else ""
    except ExtractError:
        raise
    except Exception as exc:  # pypdf raises many error types on damaged files
        raise ExtractError("tệp PDF bị hỏng hoặc không đọc được") from exc
    lines = [line for page in pages for line in page.splitlines() if not _PAGE_NUMBER.match(line)]
    return "\n".join(lines), title


# --- html -------------------------------------------------------------------------------------

_DROP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "iframe"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section",
    "table", "tbody", "thead", "tfoot", "tr", "ul", "caption",
}  # fmt: skip
_CELL = {"td", "th"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def html_text(data: str) -> tuple[str, str]:
    """(text, <title>). Block elements end lines; headings become Markdown '#' lines."""
    tree = LexborHTMLParser(data)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    root = tree.body or tree.root
    parts: list[str] = []
    if root is not None:
        _walk(root, parts)
    lines = (" ".join(line.split()).strip(" |") for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line.strip("#")), title


def _walk(node: LexborNode, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag or ""
        if tag == "-text":
            out.append((child.text_content or "").replace("\n", " "))
        elif tag == "br":
            out.append("\n")
        elif tag in _DROP or tag.startswith("-"):
            continue
        elif tag in _HEADINGS:
            out.append("\n" + "#" * _HEADINGS[tag] + " ")
            _walk(child, out)
            out.append("\n")
        elif tag in _CELL:
            _walk(child, out)
            out.append(" | ")
        elif tag in _BLOCK:
            out.append("\n")
            _walk(child, out)
            out.append("\n")
        else:
            _walk(child, out)
