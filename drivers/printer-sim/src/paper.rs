//! The paper: a [`Paper`] drawn as the printer would burn it.
//!
//! One image per receipt, exactly `profile.paper_dots` wide (the printable
//! width; the white paper margins beyond it are not drawn), one pixel per
//! dot, 0 = black, 255 = white. From top to bottom: a 24-dot top margin
//! (where the previous cut left the paper), every item in order, and a
//! 24-dot margin under the last item, where the cut is.
//!
//! * Text: the printer's resident font is a 12x24 ASCII / 24x24 CJK cell
//!   font; it is drawn here with the kiosk's Noto Sans CJK SC (through
//!   [`kiosk_printer::raster::TextRasterizer`], the same code that draws
//!   lines the driver sends as images) at a 24-dot cell, one glyph centred
//!   in each cell, so positions match the printer dot for dot. `GS !`
//!   multipliers enlarge the cell by whole dots as the printer does; bold
//!   uses the bold face; underline is one or two dot rows at the bottom of
//!   the cell. Characters of different heights share the bottom line. The
//!   Epson TM-T88 (180 dpi) also has a 12x24 / 24x24 font, so the same dot
//!   geometry is used there; only the physical size differs (its dots are
//!   larger), which an image in dots does not show.
//! * Raster images (`GS v 0`, `ESC *`): the dots as received, enlarged by
//!   the command's multipliers, aligned like text.
//! * QR codes: encoded again from the stored data with the `qrcode` crate,
//!   at the received error-correction level, smallest version, module size
//!   as received, without quiet zone (as printers draw them; the paper
//!   around is the quiet zone). So a PNG decodes to the payload exactly
//!   when the printer would print a scannable code.
//! * Barcodes: drawn as CODE128 (the data's `{A`/`{B`/`{C` code-set
//!   prefixes honoured, with check digit and stop); other symbologies are
//!   drawn as CODE128 of their data as a stand-in. Human-readable text
//!   above/below per `GS H`.
//! * Feeds: white paper.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use kiosk_printer::profile::Profile;
use kiosk_printer::raster::{Bitmap, RasterError, TextRasterizer};

use crate::interpreter::{
    ASCII_CELL, Align, BarcodeItem, CJK_CELL, Interpreter, Paper, PaperItem, QrEcc, QrItem,
    TextLine,
};

/// Blank paper above the first item and below the last, in dots.
pub const MARGIN_DOTS: u32 = 24;

/// A rendered receipt: 8-bit grey, 0 black, 255 white, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperImage {
    pub width: u32,
    pub height: u32,
    pub gray: Vec<u8>,
}

impl PaperImage {
    /// The grey value at (x, y); outside is white.
    pub fn get(&self, x: u32, y: u32) -> u8 {
        if x < self.width && y < self.height {
            self.gray[(y * self.width + x) as usize]
        } else {
            255
        }
    }

    /// Bounding box `(x0, y0, x1, y1)` (exclusive ends) of black dots in
    /// rows `rows`, or `None` when they are blank.
    pub fn ink_bounds(&self, rows: Range<u32>) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in rows.start..rows.end.min(self.height) {
            for x in 0..self.width {
                if self.get(x, y) < 128 {
                    b = Some(match b {
                        None => (x, y, x + 1, y + 1),
                        Some((x0, y0, x1, _)) => (x0.min(x), y0, x1.max(x + 1), y + 1),
                    });
                }
            }
        }
        b
    }

    /// PNG file contents (8-bit greyscale).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width.max(1), self.height.max(1));
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let data: std::borrow::Cow<[u8]> = if self.width == 0 || self.height == 0 {
                vec![255u8].into()
            } else {
                (&self.gray[..]).into()
            };
            // Writing to a Vec cannot fail for a consistent image.
            if let Ok(mut w) = enc.write_header() {
                let _ = w.write_image_data(&data);
            }
        }
        out
    }

    /// Write [`to_png`](Self::to_png) to `path`.
    pub fn save_png(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_png())
    }
}

/// Draws [`Paper`] to [`PaperImage`]. Holds the font (two ~13 MB faces):
/// make one and share it (`Arc`).
pub struct PaperRenderer {
    font: Option<Arc<TextRasterizer>>,
}

impl std::fmt::Debug for PaperRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperRenderer")
            .field("font", &self.font.is_some())
            .finish()
    }
}

impl PaperRenderer {
    /// With a loaded rasterizer (the kiosk shares the one it already has).
    pub fn new(font: Arc<TextRasterizer>) -> Self {
        PaperRenderer { font: Some(font) }
    }

    /// Load the kiosk's fonts from `<assets>/fonts/` (see
    /// [`TextRasterizer::from_assets_dir`]).
    pub fn from_assets_dir(dir: &Path) -> Result<Self, RasterError> {
        Ok(Self::new(Arc::new(TextRasterizer::from_assets_dir(dir)?)))
    }

    /// Without a font: every character is drawn as an outlined box in its
    /// cell (layout, alignment and sizes stay exact). For quick tests.
    pub fn without_font() -> Self {
        PaperRenderer { font: None }
    }

    /// Draw `paper` for `profile`.
    pub fn render(&self, paper: &Paper, profile: &Profile) -> PaperImage {
        self.render_placed(paper, profile).0
    }

    /// Draw `paper`, and say which rows each item took (one range per item
    /// of `paper.items`, empty for notes and cuts).
    pub fn render_placed(&self, paper: &Paper, profile: &Profile) -> (PaperImage, Vec<Range<u32>>) {
        let width = u32::from(profile.paper_dots).max(1);
        let mut glyphs: HashMap<(char, bool), Bitmap> = HashMap::new();
        // Lay out: draw each item into its own bitmap band.
        let mut bands: Vec<(Bitmap, u32)> = Vec::with_capacity(paper.items.len());
        for item in &paper.items {
            let (band, advance) = match item {
                PaperItem::Text(line) => (self.text_line(line, width, &mut glyphs), line.advance),
                PaperItem::Raster(r) => {
                    let mut img = Bitmap::new(r.width, r.height);
                    img.bits.clone_from(&r.bits);
                    let img = img.scaled(u32::from(r.scale_x), u32::from(r.scale_y));
                    let b = aligned(&img, width, r.align);
                    let h = b.height;
                    (b, h)
                }
                PaperItem::Qr(q) => {
                    let b = qr_band(q, width);
                    let h = b.height;
                    (b, h)
                }
                PaperItem::Barcode(bc) => {
                    let b = self.barcode_band(bc, width, &mut glyphs);
                    let h = b.height;
                    (b, h)
                }
                PaperItem::Feed { dots, .. } => (Bitmap::new(width, 0), *dots),
                PaperItem::Note(_) | PaperItem::Cut { .. } | PaperItem::Tear => {
                    (Bitmap::new(width, 0), 0)
                }
            };
            bands.push((band, advance));
        }
        // The last band may be taller than its advance (e.g. a line fed
        // with ESC J 0): the paper must hold all ink.
        let mut y = MARGIN_DOTS;
        let mut bottom = y;
        let mut places = Vec::with_capacity(bands.len());
        for (band, advance) in &bands {
            places.push(y..y + band.height);
            bottom = bottom.max(y + band.height);
            y += advance;
        }
        let height = bottom.max(y) + MARGIN_DOTS;
        let mut page = Bitmap::new(width, height);
        for ((band, _), place) in bands.iter().zip(&places) {
            page.blit(band, 0, place.start);
        }
        let gray = page
            .bits
            .iter()
            .map(|&b| if b { 0u8 } else { 255u8 })
            .collect();
        (
            PaperImage {
                width,
                height,
                gray,
            },
            places,
        )
    }

    fn glyph<'a>(
        &self,
        cache: &'a mut HashMap<(char, bool), Bitmap>,
        c: char,
        bold: bool,
    ) -> Option<&'a Bitmap> {
        let font = self.font.as_ref()?;
        Some(
            cache
                .entry((c, bold))
                .or_insert_with(|| font.render(&c.to_string(), CJK_CELL, bold)),
        )
    }

    /// Draw `text` in printer cells (24 dots wide when `cjk`, else 12) at
    /// normal size.
    fn cells(
        &self,
        text: &str,
        cjk: bool,
        bold: bool,
        cache: &mut HashMap<(char, bool), Bitmap>,
    ) -> Bitmap {
        let cell_w = |_c: char| if cjk { CJK_CELL } else { ASCII_CELL };
        let total: u32 = text.chars().map(cell_w).sum();
        let mut out = Bitmap::new(total, CJK_CELL);
        let mut x = 0;
        for c in text.chars() {
            let w = cell_w(c);
            if !c.is_whitespace() && !c.is_control() {
                match self.glyph(cache, c, bold) {
                    Some(g) => {
                        let off = w.saturating_sub(g.width) / 2;
                        // Clip a glyph wider than its cell.
                        let mut clipped = Bitmap::new(w.min(g.width), g.height);
                        clipped.blit(g, 0, 0);
                        out.blit(&clipped, x + off, 0);
                    }
                    None => {
                        // Box glyph: outline inset by 2 dots.
                        for yy in 3..CJK_CELL - 1 {
                            for xx in 1..w - 1 {
                                let edge = yy == 3 || yy == CJK_CELL - 2 || xx == 1 || xx == w - 2;
                                if edge || bold && (xx == 2 || xx == w - 3) {
                                    out.set(x + xx, yy, true);
                                }
                            }
                        }
                    }
                }
            }
            x += w;
        }
        out
    }

    fn text_line(
        &self,
        line: &TextLine,
        width: u32,
        cache: &mut HashMap<(char, bool), Bitmap>,
    ) -> Bitmap {
        let ink = line.ink_height();
        let mut pieces = Vec::new();
        let mut total = 0;
        for span in &line.spans {
            let (w, h) = (u32::from(span.style.width), u32::from(span.style.height));
            let mut img = self
                .cells(&span.text, span.cjk, span.style.bold, cache)
                .scaled(w, h);
            if span.style.underline > 0 {
                let rows = u32::from(span.style.underline.min(2));
                for y in img.height.saturating_sub(rows)..img.height {
                    for x in 0..img.width {
                        img.set(x, y, true);
                    }
                }
            }
            total += img.width;
            pieces.push(img);
        }
        let mut band = Bitmap::new(width, ink);
        let mut x = align_x(total, width, line.align);
        for img in pieces {
            band.blit(&img, x, ink - img.height);
            x += img.width;
        }
        band
    }

    fn barcode_band(
        &self,
        bc: &BarcodeItem,
        width: u32,
        cache: &mut HashMap<(char, bool), Bitmap>,
    ) -> Bitmap {
        let (values, hri) = code128_values(&bc.data);
        let modules = code128_modules(&values);
        let m = bc.module.max(1);
        let bars_w = modules.len() as u32 * m;
        let bar_h = bc.height.max(1);
        let text = if bc.hri != 0 && !hri.is_empty() {
            Some(self.cells(&hri, false, false, cache))
        } else {
            None
        };
        let gap = 4;
        let above = bc.hri == 1 || bc.hri == 3;
        let below = bc.hri == 2 || bc.hri == 3;
        let text_h = text.as_ref().map_or(0, |t| t.height + gap);
        let height = bar_h + if above { text_h } else { 0 } + if below { text_h } else { 0 };
        let mut img = Bitmap::new(bars_w.max(text.as_ref().map_or(0, |t| t.width)), height);
        let bars_x = (img.width - bars_w) / 2;
        let bars_y = if above { text_h } else { 0 };
        for (i, &dark) in modules.iter().enumerate() {
            if dark {
                for dx in 0..m {
                    for y in 0..bar_h {
                        img.set(bars_x + i as u32 * m + dx, bars_y + y, true);
                    }
                }
            }
        }
        if let Some(t) = &text {
            let tx = (img.width - t.width) / 2;
            if above {
                img.blit(t, tx, 0);
            }
            if below {
                img.blit(t, tx, bars_y + bar_h + gap);
            }
        }
        aligned(&img, width, bc.align)
    }
}

fn align_x(content: u32, width: u32, align: Align) -> u32 {
    match align {
        Align::Left => 0,
        Align::Center => width.saturating_sub(content) / 2,
        Align::Right => width.saturating_sub(content),
    }
}

/// `img` placed on a paper-wide band (clipped at the right edge).
fn aligned(img: &Bitmap, width: u32, align: Align) -> Bitmap {
    let mut band = Bitmap::new(width, img.height);
    band.blit(img, align_x(img.width, width, align), 0);
    band
}

fn qr_band(q: &QrItem, width: u32) -> Bitmap {
    let ecc = match q.ecc {
        QrEcc::L => qrcode::EcLevel::L,
        QrEcc::M => qrcode::EcLevel::M,
        QrEcc::Q => qrcode::EcLevel::Q,
        QrEcc::H => qrcode::EcLevel::H,
    };
    let Ok(code) = qrcode::QrCode::with_error_correction_level(&q.data, ecc) else {
        return Bitmap::new(width, 0);
    };
    let n = code.width() as u32;
    let m = u32::from(q.module.max(1));
    let colors = code.to_colors();
    let mut img = Bitmap::new(n * m, n * m);
    for my in 0..n {
        for mx in 0..n {
            if colors[(my * n + mx) as usize] == qrcode::Color::Dark {
                for dy in 0..m {
                    for dx in 0..m {
                        img.set(mx * m + dx, my * m + dy, true);
                    }
                }
            }
        }
    }
    aligned(&img, width, q.align)
}

/// CODE128 bar/space widths of symbol values 0..=105, then stop (106).
const CODE128: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

/// Symbol values (start .. check, without stop) for Epson-style CODE128
/// data (`{A`/`{B`/`{C` select the code set, `{1`..`{4` are FNC1..4, `{S`
/// shift, `{{` a literal brace; code set C takes one byte per digit pair,
/// 0..=99), and the human-readable text. Data without a code-set prefix is
/// encoded as code set B.
pub fn code128_values(data: &[u8]) -> (Vec<u8>, String) {
    #[derive(Clone, Copy, PartialEq)]
    enum Set {
        A,
        B,
        C,
    }
    let mut values = Vec::new();
    let mut text = String::new();
    let mut set = None;
    let mut i = 0;
    let push_char = |values: &mut Vec<u8>, text: &mut String, set: Set, b: u8| match set {
        Set::A => {
            if b < 96 {
                values.push(if b < 32 { b + 64 } else { b - 32 });
                if b >= 32 {
                    text.push(char::from(b));
                }
            }
        }
        Set::B => {
            if (32..128).contains(&b) {
                values.push(b - 32);
                text.push(char::from(b));
            }
        }
        Set::C => {
            if b < 100 {
                values.push(b);
                text.push_str(&format!("{b:02}"));
            }
        }
    };
    while i < data.len() {
        let b = data[i];
        if b == b'{' && i + 1 < data.len() {
            let c = data[i + 1];
            i += 2;
            let switch = match c {
                b'A' => Some((Set::A, 103, 101)),
                b'B' => Some((Set::B, 104, 100)),
                b'C' => Some((Set::C, 105, 99)),
                _ => None,
            };
            if let Some((s, start, code)) = switch {
                values.push(if set.is_none() { start } else { code });
                set = Some(s);
                continue;
            }
            let cur = *set.get_or_insert_with(|| {
                values.push(104);
                Set::B
            });
            match c {
                b'1' => values.push(102),
                b'2' if cur != Set::C => values.push(97),
                b'3' if cur != Set::C => values.push(96),
                b'4' if cur == Set::A => values.push(101),
                b'4' if cur == Set::B => values.push(100),
                b'S' if cur != Set::C => values.push(98),
                b'{' => push_char(&mut values, &mut text, cur, b'{'),
                _ => {}
            }
            continue;
        }
        let cur = *set.get_or_insert_with(|| {
            values.push(104);
            Set::B
        });
        push_char(&mut values, &mut text, cur, b);
        i += 1;
    }
    if values.is_empty() {
        values.push(104);
    }
    let sum: u32 = values
        .iter()
        .enumerate()
        .map(|(i, &v)| u32::from(v) * (i as u32).max(1))
        .sum();
    values.push((sum % 103) as u8);
    (values, text)
}

/// Dark/light modules of the symbol values plus the stop pattern (no quiet
/// zone).
pub fn code128_modules(values: &[u8]) -> Vec<bool> {
    let mut out = Vec::new();
    for pattern in values
        .iter()
        .map(|&v| CODE128[usize::from(v.min(105))])
        .chain([CODE128[106]])
    {
        for (i, w) in pattern.bytes().enumerate() {
            for _ in 0..(w - b'0') {
                out.push(i % 2 == 0);
            }
        }
    }
    out
}

/// Interpret `bytes` as a printer of `profile` and draw every receipt: one
/// image per cut, and one for a trailing receipt without a cut (or for the
/// whole output of a printer without a cutter). The kiosk's on-screen
/// receipt preview uses this, so the preview is what the printer prints.
pub fn render_bytes(
    bytes: &[u8],
    profile: &'static Profile,
    renderer: &PaperRenderer,
) -> Vec<PaperImage> {
    render_papers(bytes, profile)
        .iter()
        .map(|p| renderer.render(p, profile))
        .collect()
}

/// The receipts `bytes` make on a printer of `profile`: one [`Paper`] per
/// cut and one for trailing output without a cut.
pub fn render_papers(bytes: &[u8], profile: &'static Profile) -> Vec<Paper> {
    let mut interp = Interpreter::new(profile);
    let mut papers: Vec<Paper> = interp
        .feed(bytes)
        .into_iter()
        .filter_map(|e| match e {
            crate::interpreter::Event::Cut(p) => Some(p),
            _ => None,
        })
        .collect();
    if interp.has_pending_output()
        && let Some(p) = interp.finish()
    {
        papers.push(p);
    }
    papers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code128_patterns_are_eleven_modules_and_the_check_digit_is_right() {
        for (i, p) in CODE128.iter().enumerate() {
            let sum: u32 = p.bytes().map(|b| u32::from(b - b'0')).sum();
            assert_eq!(sum, if i == 106 { 13 } else { 11 }, "pattern {i}");
        }
        // "PJJ123C" in code set B: 104 + 48*1 + 42*2 + 42*3 + 17*4 + 18*5
        // + 19*6 + 35*7 = 879, and 879 mod 103 = 55.
        let (v, text) = code128_values(b"{BPJJ123C");
        assert_eq!(text, "PJJ123C");
        assert_eq!(v.first(), Some(&104));
        assert_eq!(v.last(), Some(&55));
        let (v, text) = code128_values(&[b'{', b'C', 12, 34]);
        assert_eq!(text, "1234");
        assert_eq!(v, vec![105, 12, 34, (105 + 12 + 68) % 103]);
        assert_eq!(code128_modules(&v).len(), 11 * 4 + 13);
    }
}
