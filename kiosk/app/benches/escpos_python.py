#!/usr/bin/env python3
"""The article receipt produced with python-escpos, for a byte comparison.

Usage: escpos_python.py RECEIPT_JSON [--out FILE]

RECEIPT_JSON is written by `cargo bench -p kiosk --bench receipt_print` with
RECEIPT_JSON=path: the receipt's document model (kiosk_printer::document,
serde's externally tagged form) and the paper's columns. This script sends
the same blocks, in the same order, to python-escpos's `escpos.printer.Dummy`
(which only collects bytes) the way its users typically write a receipt,
prints the byte counts and, with --out, writes the bytes of the main variant.
Needs the pip package `python-escpos` (scripts/bench installs it in a venv).

How each block is mapped (main variant, "typical"):

* every text-like block first calls
  `p.set(align=..., bold=..., underline=0|1, double_width=..., double_height=...,
  normal_textsize=<neither double>)` with the block's whole style, as users
  do before each piece of text (python-escpos 3 sends what is given, so this
  is ESC a, ESC E, ESC -, and ESC ! 0 followed by the size's ESC ! n);
* Title(t): the style centred, bold, double width and height;
* Text{text, style}: each `\\n`-separated line as
  `p._raw(line.encode('gbk', errors='replace') + b'\\n')` -- the brief's
  way of giving python-escpos its best chance with Chinese (see below for
  its own text()). Lines are NOT wrapped to the paper: the printer wraps a
  long line at the paper's edge by itself, which costs python-escpos no LF
  bytes where ours sends one per wrapped line (in python-escpos's favour;
  the printer's wrap ignores Chinese line-breaking rules and splits words);
* KeyValue{key, value}: normal left style, then one line: the key, spaces,
  the value right-aligned to the paper's columns (display width: a CJK
  character is two columns); key and value on two lines if they don't fit;
* Separator: normal left style, then '-' x columns and LF;
* Qr{payload}: `p.set(align='center')`, then
  `p.qr(payload, native=True, size=<module dots>, ec=QR_ECLEVEL_M)` with the
  module size ours picks on this paper (same symbol: model 2, ECC M);
  python-escpos feeds no quiet zone above and below (ours feeds it with
  ESC J, 6 bytes);
* Barcode{data}: `p.set(align='center')`, then
  `p.barcode('{B' + data, 'CODE128', function_type='B')`;
* Feed(n): `p.ln(n)`;
* Cut: `p.cut()` (ESC d 6, GS V 0).
* Start: nothing (python-escpos's Dummy sends no ESC @; ours sends ESC @ and
  FS &, 4 bytes, to reset the printer and switch Chinese mode on).

Second variant ("best case"): the same, but `p.set()` is called only with
the attributes that changed since the last block, and sizes are set with
`custom_size=True, width=, height=` (GS !, 3 bytes) instead of
double_width/double_height. That is the fewest bytes python-escpos's own API
gives; it is also the one that prints the same receipt on a Chinese printer:
python-escpos's double_width/double_height use ESC ! n, which Chinese
characters ignore, so the "typical" receipt's title prints at normal size.

Third variant ("text()"): as "typical" but with python-escpos's own
`p.text(line + '\\n')`. What it does with Chinese (python-escpos 3.1,
magicencode.py): any text containing a character in U+4E00..U+9FA5 is sent
whole as GB18030 -- so Chinese does print on a GBK printer, unless the text
has a character outside GBK (e.g. '¥' becomes the 4-byte 81 30 84 36,
printed as "0 6"); text with Chinese punctuation but no such ideograph (e.g.
"（）《》：" alone) goes through its code-page search, finds none, and prints
'?' for each. ASCII-only text first selects a code page (ESC t 0). For this
receipt its bytes equal the GBK _raw path's but for where one ESC t 0 falls.
"""

import argparse
import json
import sys
import unicodedata

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

# As kiosk_printer::escpos (QR_MAX_MODULE_DOTS, QR_QUIET_MODULES, ECC M).
QR_BYTES_M = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362,
              412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059,
              1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
              1989, 2099, 2213, 2331]
QR_MAX_MODULE_DOTS = 6
QR_QUIET_MODULES = 4

ALIGN = {"Left": "left", "Center": "center", "Right": "right"}
SIZE = {"Normal": (1, 1), "DoubleHeight": (1, 2), "DoubleWidth": (2, 1), "Double": (2, 2)}
NORMAL = {"align": "Left", "bold": False, "size": "Normal", "underline": False}
TITLE = {"align": "Center", "bold": True, "size": "Double", "underline": False}


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def qr_module_dots(payload, paper_dots):
    n = len(payload.encode("utf-8"))
    version = next(i + 1 for i, cap in enumerate(QR_BYTES_M) if cap >= n)
    modules = 17 + 4 * version
    return max(1, min(QR_MAX_MODULE_DOTS, paper_dots // (modules + 2 * QR_QUIET_MODULES)))


class Writer:
    def __init__(self, variant):
        self.p = Dummy()
        self.variant = variant  # "typical", "best" or "text"
        self.last = None  # best: the style last set

    def style(self, style):
        p = self.p
        w, h = SIZE[style["size"]]
        if self.variant != "best":
            p.set(align=ALIGN[style["align"]], bold=style["bold"],
                  underline=1 if style["underline"] else 0,
                  double_width=w == 2, double_height=h == 2,
                  normal_textsize=(w, h) == (1, 1))
            return
        last = self.last or {}
        changed = {}
        if last.get("align") != style["align"]:
            changed["align"] = ALIGN[style["align"]]
        if last.get("bold", False) != style["bold"]:
            changed["bold"] = style["bold"]
        if last.get("underline", False) != style["underline"]:
            changed["underline"] = 1 if style["underline"] else 0
        if last.get("size", "Normal") != style["size"]:
            changed.update(custom_size=True, width=w, height=h)
        if changed:
            p.set(**changed)
        self.last = dict(style)

    def line(self, text):
        if self.variant == "text":
            self.p.text(text + "\n")
        else:
            self.p._raw(text.encode("gbk", errors="replace") + b"\n")

    def align_only(self, align):
        if self.variant == "best":
            if (self.last or {}).get("align") == align:
                return
            self.last = dict(self.last or NORMAL, align=align)
        self.p.set(align=ALIGN[align])


def produce(doc, variant):
    columns = doc["columns"]
    paper_dots = {"generic-80": 576, "generic-58": 384, "epson-tm-t88": 512}[doc["profile"]]
    wr = Writer(variant)
    p = wr.p
    for block in doc["receipt"]["blocks"]:
        if block == "Separator":
            wr.style(NORMAL)
            wr.line("-" * columns)
        elif block == "Cut":
            p.cut()
        elif "Title" in block:
            wr.style(TITLE)
            wr.line(block["Title"])
        elif "Text" in block:
            wr.style(block["Text"]["style"])
            for line in block["Text"]["text"].split("\n"):
                wr.line(line)
        elif "KeyValue" in block:
            key, value = block["KeyValue"]["key"], block["KeyValue"]["value"]
            wr.style(NORMAL)
            pad = columns - width(key) - width(value)
            if pad >= 1:
                wr.line(key + " " * pad + value)
            else:
                wr.line(key)
                wr.line("  " + value)
        elif "Qr" in block:
            payload = block["Qr"]["payload"]
            wr.align_only("Center")
            p.qr(payload, native=True, size=qr_module_dots(payload, paper_dots), ec=QR_ECLEVEL_M)
        elif "Barcode" in block:
            wr.align_only("Center")
            p.barcode("{B" + block["Barcode"]["data"], "CODE128", function_type="B")
        elif "Feed" in block:
            p.ln(block["Feed"])
        else:
            sys.exit(f"escpos_python: unknown block {block!r}")
    return p.output


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("receipt_json")
    ap.add_argument("--out", help="write the typical variant's bytes here")
    args = ap.parse_args()
    with open(args.receipt_json, encoding="utf-8") as f:
        doc = json.load(f)
    import importlib.metadata
    version = importlib.metadata.version("python-escpos")
    typical = produce(doc, "typical")
    best = produce(doc, "best")
    text = produce(doc, "text")
    if args.out:
        with open(args.out, "wb") as f:
            f.write(typical)
    ours = doc.get("kiosk_bytes")
    print(f"python-escpos {version}, same receipt ({doc['article']}, {doc['profile']}):")
    rows = [
        ("typical: p.set(...) per block, GBK lines via _raw", typical),
        ("best case: only changed attributes, sizes via GS !", best),
        ("text(): its own text() for the lines", text),
    ]
    for name, data in rows:
        extra = ""
        if ours:
            extra = f" (kiosk-printer: {ours}, {100.0 * (ours - len(data)) / len(data):+.1f} %)"
        print(f"  {name}: {len(data)} bytes{extra}")
    print(f"  text() output identical to the GBK _raw lines: {'yes' if text == typical else 'no'}")


if __name__ == "__main__":
    main()
