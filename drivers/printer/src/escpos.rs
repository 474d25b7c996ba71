//! The renderer: a laid-out receipt to ESC/POS bytes for one profile.
//!
//! Pure: bytes out, nothing sent. Everything that can fail (a QR payload
//! over the profile's limit, an invalid barcode, text the printer's font
//! lacks with no rasterizer given) fails here, before a single byte reaches
//! the printer, so a receipt is never half printed because of its content.
//!
//! Output, in order: `ESC @`, `FS &` when the profile wants Chinese mode,
//! then per line only the mode commands that change (alignment, bold,
//! `GS !` size, underline: `ESC -` for single-byte and `FS -` for two-byte
//! characters, each only if the line has such characters), the GBK bytes and
//! `LF`. Fewer bytes is a faster receipt at 9600 baud, so nothing is repeated
//! and nothing is set that the line does not show (an underline state for
//! a line without such characters, any mode for an empty line), and on
//! left-aligned lines runs of spaces (a key-value's padding) become `HT`s to
//! the default tab stops every 8 columns where that is shorter.
//!
//! * A line with characters GBK cannot carry is drawn with the kiosk's font
//!   ([`TextRasterizer`]) at the printer's cell size and sent as a `GS v 0`
//!   image, aligned with `ESC a` like text (ESC/POS printers apply `ESC a` to
//!   raster images), then padded to the normal line pitch with `ESC J`.
//! * QR: `GS ( k` model 2, ECC M, module size chosen so the symbol with its
//!   quiet zone fits the paper (at most 6 dots, ~0.75 mm), centred; or, on a
//!   profile without native QR, the symbol as a raster image (modules of at
//!   most 4 dots, since image bytes are wire time) centred with `ESC a`. The
//!   quiet zone above and below is paper feed (`ESC J`), not image rows.
//! * CODE128: `GS k 73 n {B data`, centred, human-readable digits below
//!   (`GS H 2`), 80 dots high (10 mm), module width 3 dots or 2 when 3 does
//!   not fit.
//! * Cut: `GS V 66 0` feeds the last line past the cutter and cuts (partial);
//!   without a cutter, `ESC d` past the tear bar.

use crate::document::{Align, Receipt, Size, Style};
use crate::gbk::{self, Segment};
use crate::layout::{self, Line};
use crate::profile::{Profile, QrSupport};
use crate::raster::{self, QR_QUIET_MODULES, TextRasterizer};

/// Why a receipt cannot be rendered for a profile.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("QR payload of {len} bytes is longer than the {max} this printer takes")]
    QrTooLong { len: usize, max: usize },
    #[error("QR code cannot be encoded: {0}")]
    QrEncode(String),
    #[error("invalid barcode: {0}")]
    BarcodeInvalid(String),
    /// The count of lines that need the font.
    #[error("{0} line(s) have characters the printer's font lacks and no rasterizer was given")]
    NoFontForUnencodable(usize),
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const LF: u8 = 0x0A;

/// Largest QR module in dots (0.75 mm at 203 dpi): big enough for any phone,
/// small enough to keep the receipt short.
pub const QR_MAX_MODULE_DOTS: u32 = 6;
/// Smallest module for a QR sent as an image.
pub const QR_MIN_IMAGE_MODULE_DOTS: u32 = 2;
/// Largest module for a QR sent as an image (~0.56 mm at 180 dpi, still
/// easy for a phone): every dot of an image is on the wire, and a 6-dot
/// module would more than double the bytes of a typical receipt.
pub const QR_MAX_IMAGE_MODULE_DOTS: u32 = 4;
/// Barcode height in dots.
pub const BARCODE_HEIGHT: u8 = 80;

/// Byte-mode capacity of QR versions 1..=40 at ECC M.
const QR_BYTES_M: [u16; 40] = [
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
    1989, 2099, 2213, 2331,
];

/// Side in modules of the smallest QR symbol (ECC M, byte mode) holding
/// `len` bytes: an upper bound of what a printer's encoder picks.
pub fn qr_modules_for_len(len: usize) -> Option<u32> {
    QR_BYTES_M
        .iter()
        .position(|&cap| usize::from(cap) >= len)
        .map(|i| 17 + 4 * (i as u32 + 1))
}

/// Module size for a symbol `modules` wide on `profile` (quiet zone
/// included), capped at [`QR_MAX_MODULE_DOTS`]; 0 if even 1 dot is too big.
fn qr_module_dots(profile: &Profile, modules: u32) -> u32 {
    (u32::from(profile.paper_dots) / (modules + 2 * QR_QUIET_MODULES)).min(QR_MAX_MODULE_DOTS)
}

/// True when `receipt` has text the printer's font cannot print, i.e. when
/// [`render`] needs a [`TextRasterizer`] (so the ~13 MB font is loaded only
/// then).
pub fn needs_rasterizer(receipt: &Receipt, profile: &Profile) -> bool {
    layout::layout(receipt, profile)
        .iter()
        .any(|l| matches!(l, Line::Text { text, .. } if !gbk::is_encodable(text)))
}

/// Printer modes as last set; `None` = unknown.
#[derive(Debug, Default)]
struct Modes {
    align: Align,
    bold: bool,
    size: Size,
    ascii_underline: bool,
    cjk_underline: bool,
    qr_module: Option<u8>,
    qr_setup: bool,
    barcode_module: Option<u8>,
    barcode_setup: bool,
}

/// What a text line becomes, decided before any byte is produced.
enum TextPlan {
    Bytes(Vec<u8>),
    Raster,
}

/// Render `receipt` for `profile`. `rasterizer` draws lines with characters
/// GBK cannot carry; without one such a receipt is an error. See the module
/// docs for the bytes.
pub fn render(
    receipt: &Receipt,
    profile: &Profile,
    rasterizer: Option<&TextRasterizer>,
) -> Result<Vec<u8>, RenderError> {
    let lines = layout::layout(receipt, profile);

    // Validate everything first.
    let mut plans = Vec::with_capacity(lines.len());
    let mut raster_lines = 0;
    for line in &lines {
        match line {
            Line::Text { text, .. } => {
                let segments = gbk::encode(text);
                if segments
                    .iter()
                    .any(|s| matches!(s, Segment::Unencodable(_)))
                {
                    raster_lines += 1;
                    plans.push(Some(TextPlan::Raster));
                } else {
                    let bytes = segments
                        .into_iter()
                        .flat_map(|s| match s {
                            Segment::Gbk(b) => b,
                            Segment::Unencodable(_) => Vec::new(),
                        })
                        .collect();
                    plans.push(Some(TextPlan::Bytes(bytes)));
                }
            }
            Line::Qr { payload } => {
                validate_qr(payload, profile)?;
                plans.push(None);
            }
            Line::Barcode { data } => {
                barcode_module(data, profile)?;
                plans.push(None);
            }
            _ => plans.push(None),
        }
    }
    let rasterizer = match (raster_lines, rasterizer) {
        (0, r) => r,
        (_, Some(r)) => Some(r),
        (n, None) => return Err(RenderError::NoFontForUnencodable(n)),
    };

    let mut out = vec![ESC, b'@'];
    if profile.chinese_mode {
        out.extend_from_slice(&[FS, b'&']);
    }
    let mut modes = Modes::default();
    for (line, plan) in lines.iter().zip(plans) {
        match (line, plan) {
            (Line::Text { style, .. }, Some(TextPlan::Bytes(bytes))) => {
                text_line(&mut out, &mut modes, profile, *style, &bytes)
            }
            (Line::Text { text, style }, Some(TextPlan::Raster)) => {
                if let Some(r) = rasterizer {
                    raster_line(&mut out, &mut modes, profile, r, text, *style);
                }
            }
            (Line::Qr { payload }, _) => qr(&mut out, &mut modes, profile, payload)?,
            (Line::Barcode { data }, _) => barcode(&mut out, &mut modes, profile, data)?,
            (Line::Feed(n), _) => feed_lines(&mut out, *n),
            (Line::Cut, _) => {
                if profile.cutter {
                    out.extend_from_slice(&[GS, b'V', 66, 0]);
                } else {
                    feed_lines(&mut out, profile.tear_feed_lines());
                }
            }
            (Line::Text { .. }, None) => {}
        }
    }
    Ok(out)
}

fn feed_lines(out: &mut Vec<u8>, n: u8) {
    if n <= 3 {
        out.extend(std::iter::repeat_n(LF, usize::from(n)));
    } else {
        out.extend_from_slice(&[ESC, b'd', n]);
    }
}

fn feed_dots(out: &mut Vec<u8>, mut dots: u32) {
    while dots > 0 {
        let n = dots.min(255);
        out.extend_from_slice(&[ESC, b'J', n as u8]);
        dots -= n;
    }
}

fn set_align(out: &mut Vec<u8>, modes: &mut Modes, align: Align) {
    if modes.align != align {
        let n = match align {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        };
        out.extend_from_slice(&[ESC, b'a', n]);
        modes.align = align;
    }
}

fn text_line(out: &mut Vec<u8>, modes: &mut Modes, profile: &Profile, style: Style, bytes: &[u8]) {
    if bytes.is_empty() {
        out.push(LF);
        return;
    }
    set_align(out, modes, style.align);
    if modes.bold != style.bold {
        out.extend_from_slice(&[ESC, b'E', u8::from(style.bold)]);
        modes.bold = style.bold;
    }
    if modes.size != style.size {
        let (w, h) = style.size.multipliers();
        out.extend_from_slice(&[GS, b'!', ((w - 1) << 4) | (h - 1)]);
        modes.size = style.size;
    }
    // Single bytes take ESC -, two-byte characters FS - (Chinese printers
    // keep the two apart); set only the one this line uses.
    let has_single = bytes.iter().any(|&b| b < 0x80);
    let has_double = bytes.iter().any(|&b| b >= 0x80);
    if has_single && modes.ascii_underline != style.underline {
        out.extend_from_slice(&[ESC, b'-', u8::from(style.underline)]);
        modes.ascii_underline = style.underline;
    }
    if has_double && profile.chinese_mode && modes.cjk_underline != style.underline {
        out.extend_from_slice(&[FS, b'-', u8::from(style.underline)]);
        modes.cjk_underline = style.underline;
    }
    if style.align == Align::Left && !style.underline && style.size.multipliers().0 == 1 {
        push_with_tabs(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(LF);
}

/// Default tab stops (`ESC @` sets one every 8 columns of font A).
const TAB_COLUMNS: usize = 8;

/// Append a left-aligned, normal-width line, replacing runs of spaces that
/// cross tab stops by `HT`s (plus the remaining spaces) when that is
/// shorter: a key-value line's padding shrinks from ~20 bytes to ~4.
fn push_with_tabs(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut col = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b' ' {
            let run = bytes[i..].iter().take_while(|&&c| c == b' ').count();
            let end = col + run;
            let mut pos = col;
            let mut tabs = 0;
            while (pos / TAB_COLUMNS + 1) * TAB_COLUMNS <= end {
                pos = (pos / TAB_COLUMNS + 1) * TAB_COLUMNS;
                tabs += 1;
            }
            if tabs > 0 && tabs + (end - pos) < run {
                out.extend(std::iter::repeat_n(b'\t', tabs));
                out.extend(std::iter::repeat_n(b' ', end - pos));
            } else {
                out.extend(std::iter::repeat_n(b' ', run));
            }
            col = end;
            i += run;
        } else if b >= 0x81 && i + 1 < bytes.len() {
            out.extend_from_slice(&bytes[i..i + 2]);
            col += 2;
            i += 2;
        } else {
            out.push(b);
            col += 1;
            i += 1;
        }
    }
}

fn raster_line(
    out: &mut Vec<u8>,
    modes: &mut Modes,
    profile: &Profile,
    rasterizer: &TextRasterizer,
    text: &str,
    style: Style,
) {
    let cell = profile.cell_dots();
    let (w, h) = style.size.multipliers();
    let mut image = rasterizer
        .render(text, cell, style.bold)
        .scaled(u32::from(w), u32::from(h));
    if style.underline {
        let y = image.height.saturating_sub(2);
        for x in 0..image.width {
            image.set(x, y, true);
        }
    }
    if image.width > u32::from(profile.paper_dots) {
        // Cannot happen for wrapped text; clip rather than let the printer
        // drop the whole image.
        let mut clipped = raster::Bitmap::new(u32::from(profile.paper_dots), image.height);
        clipped.blit(&image, 0, 0);
        image = clipped;
    }
    set_align(out, modes, style.align);
    out.extend_from_slice(&image.to_escpos());
    feed_dots(out, profile.line_pitch_dots().saturating_sub(image.height));
}

fn validate_qr(payload: &str, profile: &Profile) -> Result<(), RenderError> {
    if payload.is_empty() {
        return Err(RenderError::QrEncode("empty payload".into()));
    }
    match profile.qr {
        QrSupport::Native { max_bytes } => {
            let max = usize::from(max_bytes).min(raster::QR_MAX_BYTES_M);
            if payload.len() > max {
                return Err(RenderError::QrTooLong {
                    len: payload.len(),
                    max,
                });
            }
            // A DLE in the data could be taken for a real-time command.
            if payload.contains('\u{10}') {
                return Err(RenderError::QrEncode(
                    "payload contains DLE (0x10), which the printer would execute".into(),
                ));
            }
            let modules = qr_modules_for_len(payload.len()).unwrap_or(177);
            if qr_module_dots(profile, modules) == 0 {
                return Err(RenderError::QrTooLong {
                    len: payload.len(),
                    max: max_len_fitting(profile, 1),
                });
            }
        }
        QrSupport::Image => {
            let (modules, _) = raster::qr_modules(payload)?;
            if qr_module_dots(profile, modules) < QR_MIN_IMAGE_MODULE_DOTS {
                return Err(RenderError::QrTooLong {
                    len: payload.len(),
                    max: max_len_fitting(profile, QR_MIN_IMAGE_MODULE_DOTS),
                });
            }
        }
    }
    Ok(())
}

/// Largest byte payload whose symbol fits `profile` with modules of
/// `module_dots`.
fn max_len_fitting(profile: &Profile, module_dots: u32) -> usize {
    (1..=40u32)
        .rev()
        .find(|v| {
            (17 + 4 * v + 2 * QR_QUIET_MODULES) * module_dots <= u32::from(profile.paper_dots)
        })
        .map_or(0, |v| usize::from(QR_BYTES_M[v as usize - 1]))
}

fn qr(
    out: &mut Vec<u8>,
    modes: &mut Modes,
    profile: &Profile,
    payload: &str,
) -> Result<(), RenderError> {
    set_align(out, modes, Align::Center);
    match profile.qr {
        QrSupport::Native { .. } => {
            let modules = qr_modules_for_len(payload.len()).unwrap_or(177);
            let module = qr_module_dots(profile, modules).max(1) as u8;
            let quiet = QR_QUIET_MODULES * u32::from(module);
            feed_dots(out, quiet);
            if !modes.qr_setup {
                // Model 2, error correction M.
                out.extend_from_slice(&[GS, b'(', b'k', 4, 0, 0x31, 0x41, 0x32, 0]);
                out.extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x45, 0x31]);
                modes.qr_setup = true;
            }
            if modes.qr_module != Some(module) {
                out.extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x43, module]);
                modes.qr_module = Some(module);
            }
            let n = payload.len() + 3;
            out.extend_from_slice(&[
                GS,
                b'(',
                b'k',
                (n & 0xFF) as u8,
                (n >> 8) as u8,
                0x31,
                0x50,
                0x30,
            ]);
            out.extend_from_slice(payload.as_bytes());
            out.extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x51, 0x30]);
            feed_dots(out, quiet);
        }
        QrSupport::Image => {
            let (modules, dark) = raster::qr_modules(payload)?;
            let module = qr_module_dots(profile, modules).min(QR_MAX_IMAGE_MODULE_DOTS);
            let mut image = raster::Bitmap::new(modules * module, modules * module);
            for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
                let (mx, my) = (i as u32 % modules, i as u32 / modules);
                for y in my * module..(my + 1) * module {
                    for x in mx * module..(mx + 1) * module {
                        image.set(x, y, true);
                    }
                }
            }
            let quiet = QR_QUIET_MODULES * module;
            feed_dots(out, quiet);
            out.extend_from_slice(&image.to_escpos());
            feed_dots(out, quiet);
        }
    }
    Ok(())
}

/// Module width for CODE128 `data` on `profile`, or why it can't be printed.
fn barcode_module(data: &str, profile: &Profile) -> Result<u8, RenderError> {
    if data.is_empty() {
        return Err(RenderError::BarcodeInvalid("empty".into()));
    }
    if let Some(c) = data.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(RenderError::BarcodeInvalid(format!(
            "{c:?} is not printable ASCII (CODE128 code set B)"
        )));
    }
    let escaped = data.len() + data.matches('{').count();
    if escaped + 2 > 255 {
        return Err(RenderError::BarcodeInvalid(format!(
            "{} characters is too long",
            data.len()
        )));
    }
    // Start, data, check symbol: 11 modules each; stop: 13.
    let modules = 11 * (data.len() as u32 + 2) + 13;
    [3u8, 2]
        .into_iter()
        .find(|&w| modules * u32::from(w) <= u32::from(profile.paper_dots))
        .ok_or_else(|| {
            RenderError::BarcodeInvalid(format!(
                "{} characters do not fit {} dots",
                data.len(),
                profile.paper_dots
            ))
        })
}

fn barcode(
    out: &mut Vec<u8>,
    modes: &mut Modes,
    profile: &Profile,
    data: &str,
) -> Result<(), RenderError> {
    let module = barcode_module(data, profile)?;
    set_align(out, modes, Align::Center);
    if !modes.barcode_setup {
        out.extend_from_slice(&[GS, b'h', BARCODE_HEIGHT, GS, b'H', 2]);
        modes.barcode_setup = true;
    }
    // ESC @ leaves the module width at 3.
    if modes.barcode_module.unwrap_or(3) != module {
        out.extend_from_slice(&[GS, b'w', module]);
        modes.barcode_module = Some(module);
    }
    let escaped = data.replace('{', "{{");
    out.extend_from_slice(&[GS, b'k', 73, (escaped.len() + 2) as u8, b'{', b'B']);
    out.extend_from_slice(escaped.as_bytes());
    Ok(())
}
