//! 1-bit images: text the printer's font cannot carry, QR codes for printers
//! without `GS ( k`, and (in the simulator) the paper itself.
//!
//! A [`Bitmap`] is a plain row-major grid of dots. [`Bitmap::to_escpos`]
//! turns it into `GS v 0` raster commands; [`TextRasterizer`] draws a line of
//! text with the kiosk's own font (Noto Sans CJK SC) in the printer's cell
//! geometry, so that a line sent as an image sits exactly where the same line
//! sent as text would: every character gets a cell as wide as its display
//! width (`layout::display_width`) times half the cell height, the way the
//! printer's 12x24 / 24x24 font does. [`qr_bitmap`] draws a QR symbol.

use std::path::Path;

use ab_glyph::{Font, FontArc, FontRef, FontVec, PxScale, ScaleFont, point};
use qrcode::{EcLevel, QrCode};

use crate::escpos::RenderError;
use crate::layout::char_width;

/// Rows per `GS v 0` command. An image is sent in bands so that a band fits
/// the image buffer of small printers (<= 9 KB at 576 dots) and a printer
/// starts printing before the whole image has arrived; 128 rows keep the
/// 8-byte band header under 1 % of the data.
pub const BAND_ROWS: u32 = 128;

/// A 1-bit image, row-major, `true` = black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub width: u32,
    pub height: u32,
    pub bits: Vec<bool>,
}

impl Bitmap {
    /// A white image.
    pub fn new(width: u32, height: u32) -> Self {
        Bitmap {
            width,
            height,
            bits: vec![false; width as usize * height as usize],
        }
    }

    fn index(&self, x: u32, y: u32) -> Option<usize> {
        (x < self.width && y < self.height).then(|| y as usize * self.width as usize + x as usize)
    }

    /// The dot at (x, y); outside the image is white.
    pub fn get(&self, x: u32, y: u32) -> bool {
        self.index(x, y).is_some_and(|i| self.bits[i])
    }

    /// Set the dot at (x, y); outside the image is ignored.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if let Some(i) = self.index(x, y) {
            self.bits[i] = black;
        }
    }

    /// Draw `other`'s black dots at (x, y) (white dots are transparent);
    /// whatever falls outside is clipped.
    pub fn blit(&mut self, other: &Bitmap, x: u32, y: u32) {
        for oy in 0..other.height {
            let ty = y.saturating_add(oy);
            if ty >= self.height {
                break;
            }
            for ox in 0..other.width {
                let tx = x.saturating_add(ox);
                if tx >= self.width {
                    break;
                }
                if other.bits[oy as usize * other.width as usize + ox as usize] {
                    self.set(tx, ty, true);
                }
            }
        }
    }

    /// Enlarge by whole factors (each dot becomes `sx` x `sy` dots), as the
    /// printer does with `GS !`.
    pub fn scaled(&self, sx: u32, sy: u32) -> Bitmap {
        let (sx, sy) = (sx.max(1), sy.max(1));
        let mut out = Bitmap::new(self.width * sx, self.height * sy);
        for y in 0..out.height {
            for x in 0..out.width {
                if self.get(x / sx, y / sy) {
                    out.set(x, y, true);
                }
            }
        }
        out
    }

    /// True when no dot is black.
    pub fn is_blank(&self) -> bool {
        !self.bits.iter().any(|&b| b)
    }

    /// Bytes per row when packed (width rounded up to whole bytes).
    pub fn row_bytes(&self) -> u32 {
        self.width.div_ceil(8)
    }

    /// Pack rows `y0..y1` MSB-first (the leftmost dot is bit 7), rows padded
    /// with white to whole bytes.
    pub fn pack_rows(&self, y0: u32, y1: u32) -> Vec<u8> {
        let row_bytes = self.row_bytes() as usize;
        let mut out = Vec::with_capacity(row_bytes * (y1.saturating_sub(y0)) as usize);
        for y in y0..y1.min(self.height) {
            let row = &self.bits[y as usize * self.width as usize..][..self.width as usize];
            for chunk in row.chunks(8) {
                let mut byte = 0u8;
                for (i, &b) in chunk.iter().enumerate() {
                    if b {
                        byte |= 0x80 >> i;
                    }
                }
                out.push(byte);
            }
        }
        out
    }

    /// `GS v 0` commands (`1D 76 30 00 xL xH yL yH data`) printing this
    /// image, in bands of at most [`BAND_ROWS`] rows. Width is padded to
    /// whole bytes; an empty image gives no bytes. The image starts at the
    /// left margin (callers who want it centred put the offset in the image
    /// or set `ESC a` before).
    pub fn to_escpos(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.width == 0 || self.height == 0 {
            return out;
        }
        let xb = self.row_bytes();
        let mut y = 0;
        while y < self.height {
            let rows = (self.height - y).min(BAND_ROWS);
            out.extend_from_slice(&[
                0x1D,
                0x76,
                0x30,
                0x00,
                (xb & 0xFF) as u8,
                (xb >> 8) as u8,
                (rows & 0xFF) as u8,
                (rows >> 8) as u8,
            ]);
            out.extend_from_slice(&self.pack_rows(y, y + rows));
            y += rows;
        }
        out
    }
}

/// Why a font could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("cannot read font {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid font data ({which})")]
    InvalidFont { which: &'static str },
}

/// Fraction of the em above the baseline in a CJK font's ideographic em box
/// (Noto Sans CJK: ascender 880, descender -120 of 1000).
const EM_ASCENT: f32 = 0.88;

/// Draws text as a 1-bit image in the printer's cell geometry, with the
/// kiosk's Noto Sans CJK SC font. See the module docs.
pub struct TextRasterizer {
    regular: FontArc,
    bold: Option<FontArc>,
}

impl std::fmt::Debug for TextRasterizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextRasterizer")
            .field("bold", &self.bold.is_some())
            .finish()
    }
}

impl TextRasterizer {
    /// File names of the kiosk's fonts under `<assets>/fonts/`.
    pub const REGULAR_FILE: &'static str = "NotoSansCJKsc-Regular-subset.otf";
    pub const BOLD_FILE: &'static str = "NotoSansCJKsc-Bold-subset.otf";

    /// From font file contents (OpenType, TrueType or CFF outlines). Without
    /// a bold face, bold is drawn by doubling strokes one dot to the right.
    pub fn from_font_bytes(regular: Vec<u8>, bold: Option<Vec<u8>>) -> Result<Self, RasterError> {
        let regular = FontVec::try_from_vec(regular)
            .map_err(|_| RasterError::InvalidFont { which: "regular" })?;
        let bold = match bold {
            Some(b) => Some(FontArc::new(
                FontVec::try_from_vec(b).map_err(|_| RasterError::InvalidFont { which: "bold" })?,
            )),
            None => None,
        };
        Ok(TextRasterizer {
            regular: FontArc::new(regular),
            bold,
        })
    }

    /// From font data that lives as long as the process (e.g. a mapped
    /// file): nothing is copied.
    pub fn from_static(
        regular: &'static [u8],
        bold: Option<&'static [u8]>,
    ) -> Result<Self, RasterError> {
        let regular = FontRef::try_from_slice(regular)
            .map_err(|_| RasterError::InvalidFont { which: "regular" })?;
        let bold = match bold {
            Some(b) => Some(FontArc::new(
                FontRef::try_from_slice(b)
                    .map_err(|_| RasterError::InvalidFont { which: "bold" })?,
            )),
            None => None,
        };
        Ok(TextRasterizer {
            regular: FontArc::new(regular),
            bold,
        })
    }

    /// From an assets directory containing `fonts/NotoSansCJKsc-Regular-subset.otf`
    /// (required) and `fonts/NotoSansCJKsc-Bold-subset.otf` (optional). The
    /// files are ~14 MB each, so they are mapped, not read: only the pages
    /// of the glyphs drawn become resident, and they are shared with the
    /// page cache. A mapping is kept for the rest of the process (create one
    /// rasterizer and keep it).
    pub fn from_assets_dir(dir: &Path) -> Result<Self, RasterError> {
        let read = |name: &str| -> Result<&'static [u8], RasterError> {
            let path = dir.join("fonts").join(name);
            let error = |source| RasterError::Read {
                path: path.display().to_string(),
                source,
            };
            let file = std::fs::File::open(&path).map_err(error)?;
            // SAFETY: the font files are read-only assets of the terminal;
            // nothing truncates or rewrites them while it runs.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(error)?;
            // Leaked on purpose: fonts are needed until the process ends.
            Ok(Box::leak(Box::new(map)))
        };
        let regular = read(Self::REGULAR_FILE)?;
        let bold = match read(Self::BOLD_FILE) {
            Ok(b) => Some(b),
            Err(e) => {
                log::info!("no bold face for raster text, strokes will be doubled: {e}");
                None
            }
        };
        Self::from_static(regular, bold)
    }

    /// True when the font has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.regular.glyph_id(c).0 != 0
    }

    /// Draw `text` on one line. The image is `cell_height` dots tall; each
    /// character occupies `display width x cell_height / 2` dots (a CJK
    /// character a square cell, ASCII half of it); glyphs wider than their
    /// cell are narrowed to fit. Coverage >= 50 % is black. A character the
    /// font lacks is drawn as an outlined box.
    pub fn render(&self, text: &str, cell_height: u32, bold: bool) -> Bitmap {
        let cell_height = cell_height.max(1);
        let half = cell_height as f32 / 2.0;
        let total_cols: u32 = text.chars().map(|c| char_width(c) as u32).sum();
        let width = (total_cols as f32 * half).ceil() as u32;
        let mut bitmap = Bitmap::new(width, cell_height);
        let (font, fake_bold) = match (&self.bold, bold) {
            (Some(b), true) => (b, false),
            (None, true) => (&self.regular, true),
            _ => (&self.regular, false),
        };
        let units_per_em = font.units_per_em().unwrap_or(1000.0);
        // ab_glyph scales relative to the font's ascent-descent height; make
        // one em exactly `cell_height` dots.
        let em_scale = cell_height as f32 * font.height_unscaled() / units_per_em;
        let baseline = cell_height as f32 * EM_ASCENT;
        let mut col = 0u32;
        for c in text.chars() {
            let w = char_width(c) as u32;
            let cell_x = col as f32 * half;
            let cell_w = w as f32 * half;
            col += w;
            if c.is_whitespace() || c.is_control() {
                continue;
            }
            let id = font.glyph_id(c);
            if id.0 == 0 {
                // Not in the font (the kiosk's subset lacks rare characters):
                // an outlined box, so the reader sees something is there.
                draw_box(&mut bitmap, cell_x as u32, cell_w as u32, cell_height);
                continue;
            }
            let advance = font.as_scaled(PxScale::from(em_scale)).h_advance(id);
            // Narrow glyphs wider than their cell; centre the rest.
            let squeeze = if advance > cell_w && advance > 0.0 {
                cell_w / advance
            } else {
                1.0
            };
            let glyph_w = advance * squeeze;
            let x = cell_x + ((cell_w - glyph_w) / 2.0).max(0.0);
            let glyph = id.with_scale_and_position(
                PxScale {
                    x: em_scale * squeeze,
                    y: em_scale,
                },
                point(x, baseline),
            );
            let Some(outlined) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            let (bx, by) = (bounds.min.x as i64, bounds.min.y as i64);
            outlined.draw(|gx, gy, coverage| {
                if coverage >= 0.5 {
                    let px = bx + i64::from(gx);
                    let py = by + i64::from(gy);
                    if px >= 0 && py >= 0 && px < i64::from(u32::MAX) && py < i64::from(u32::MAX) {
                        bitmap.set(px as u32, py as u32, true);
                        if fake_bold {
                            bitmap.set(px as u32 + 1, py as u32, true);
                        }
                    }
                }
            });
        }
        bitmap
    }
}

/// An outlined box inside the cell at `x`, `w` x `h` dots (one tenth of the
/// cell as margin).
fn draw_box(bitmap: &mut Bitmap, x: u32, w: u32, h: u32) {
    let m = (h / 10).max(1);
    if w <= 2 * m || h <= 2 * m {
        return;
    }
    let (x0, x1, y0, y1) = (x + m, x + w - m - 1, m, h - m - 1);
    for xx in x0..=x1 {
        bitmap.set(xx, y0, true);
        bitmap.set(xx, y1, true);
    }
    for yy in y0..=y1 {
        bitmap.set(x0, yy, true);
        bitmap.set(x1, yy, true);
    }
}

/// Quiet zone around a QR symbol, in modules (the standard's minimum).
pub const QR_QUIET_MODULES: u32 = 4;

/// Largest byte-mode payload of a QR symbol (version 40, ECC M).
pub const QR_MAX_BYTES_M: usize = 2331;

/// The modules of a QR symbol (ECC M, smallest version): side length and
/// row-major dark flags, without quiet zone.
pub fn qr_modules(payload: &str) -> Result<(u32, Vec<bool>), RenderError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).map_err(
        |e| match e {
            qrcode::types::QrError::DataTooLong => RenderError::QrTooLong {
                len: payload.len(),
                max: QR_MAX_BYTES_M,
            },
            other => RenderError::QrEncode(other.to_string()),
        },
    )?;
    let width = code.width() as u32;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok((width, dark))
}

/// A QR symbol (ECC M, smallest version that holds `payload`) with a quiet
/// zone of [`QR_QUIET_MODULES`] on every side, each module
/// `module_dots x module_dots` dots (at least 1).
pub fn qr_bitmap(payload: &str, module_dots: u32) -> Result<Bitmap, RenderError> {
    let (modules, dark) = qr_modules(payload)?;
    let m = module_dots.max(1);
    let side = (modules + 2 * QR_QUIET_MODULES) * m;
    let mut bitmap = Bitmap::new(side, side);
    for my in 0..modules {
        for mx in 0..modules {
            if dark[(my * modules + mx) as usize] {
                let x0 = (mx + QR_QUIET_MODULES) * m;
                let y0 = (my + QR_QUIET_MODULES) * m;
                for y in y0..y0 + m {
                    for x in x0..x0 + m {
                        bitmap.set(x, y, true);
                    }
                }
            }
        }
    }
    Ok(bitmap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_get_set_blit_and_clip() {
        let mut b = Bitmap::new(10, 3);
        b.set(9, 2, true);
        b.set(10, 0, true); // outside: ignored
        assert!(b.get(9, 2));
        assert!(!b.get(10, 0));
        let mut dot = Bitmap::new(2, 2);
        dot.bits = vec![true; 4];
        b.blit(&dot, 9, 1); // clipped at the right edge
        assert!(b.get(9, 1) && b.get(9, 2) && !b.get(8, 1));
        assert_eq!(b.bits.iter().filter(|&&x| x).count(), 2);
    }

    #[test]
    fn to_escpos_pads_width_and_packs_msb_first() {
        let mut b = Bitmap::new(9, 2);
        b.set(0, 0, true);
        b.set(8, 1, true);
        assert_eq!(
            b.to_escpos(),
            vec![0x1D, 0x76, 0x30, 0x00, 2, 0, 2, 0, 0x80, 0x00, 0x00, 0x80]
        );
        assert!(Bitmap::new(0, 5).to_escpos().is_empty());
    }

    #[test]
    fn to_escpos_sends_tall_images_in_bands() {
        let b = Bitmap::new(16, BAND_ROWS * 2 + 1);
        let bytes = b.to_escpos();
        let header = |rows: u32| vec![0x1D, 0x76, 0x30, 0x00, 2, 0, rows as u8, (rows >> 8) as u8];
        assert_eq!(bytes.len(), 3 * 8 + 2 * (BAND_ROWS as usize * 2 + 1));
        assert_eq!(bytes[..8], header(BAND_ROWS)[..]);
        let second = 8 + 2 * BAND_ROWS as usize;
        assert_eq!(bytes[second..second + 8], header(BAND_ROWS)[..]);
        let third = 2 * second;
        assert_eq!(bytes[third..third + 8], header(1)[..]);
    }

    #[test]
    fn qr_bitmap_has_quiet_zone_and_finder_pattern() {
        let b = qr_bitmap("https://example.invalid/r/1", 2).unwrap();
        let q = QR_QUIET_MODULES * 2;
        assert_eq!(b.width, b.height);
        assert!((0..b.width).all(|x| !b.get(x, 0) && !b.get(x, q - 1)));
        // Top-left finder: a 7x7 dark ring starting after the quiet zone.
        assert!(b.get(q, q) && b.get(q + 13, q) && !b.get(q + 2, q + 2) && b.get(q + 4, q + 4));
    }

    #[test]
    fn qr_too_long_is_an_error() {
        let long = "x".repeat(3000);
        assert!(matches!(
            qr_bitmap(&long, 1),
            Err(RenderError::QrTooLong { len: 3000, .. })
        ));
    }
}
