//! The printer's command interpreter: ESC/POS bytes in, printed paper out.
//!
//! Sans-IO and pure: [`Interpreter::feed`] takes any slice of bytes (a
//! command may be split anywhere across calls) and returns the [`Event`]s the
//! bytes caused. It never panics and never allocates without bound, whatever
//! the input: image and barcode bodies larger than a real printer would
//! accept are consumed and discarded.
//!
//! What it models (the subset in `shared/reference/escpos.md`, plus the
//! lengths of common commands it does not model, so that they are skipped
//! cleanly instead of being printed as text):
//!
//! * text: GBK two-byte characters in Chinese mode (`FS &` / `FS .`), single
//!   bytes otherwise (bytes >= 0x80 outside Chinese mode are shown as
//!   Latin-1); automatic wrapping at the paper width counting dots (ASCII
//!   12 dots wide, CJK 24, times the width multiplier), `HT` tab stops every
//!   8 ASCII columns, `LF` prints the line, `CR` is ignored;
//! * styles: `ESC @`, `ESC E`, `ESC -`, `ESC !` (ASCII only, as on Chinese
//!   printers), `FS !` / `FS -` (CJK only), `GS !` (both), `ESC a` (only at
//!   the start of a line, as the manuals say), `ESC 2` / `ESC 3`;
//! * paper motion: `ESC d`, `ESC J`, `GS V` in all forms (and the legacy
//!   `ESC i` / `ESC m` cuts);
//! * images: `GS v 0` raster, `ESC *` bit images;
//! * `GS ( k` QR codes (model, module size, error correction, store, print)
//!   when the profile has native QR; a printer without it ignores them;
//! * `GS k` barcodes in both forms, `GS h`, `GS w`, `GS H`;
//! * `DLE EOT n` status requests and `GS a n` automatic status, reported as
//!   events for the device to answer.
//!
//! Unknown `ESC`/`GS`/`FS` sequences: the two command bytes are skipped and
//! a note `[unknown 1B xx]` goes into the transcript; any following bytes
//! are treated as ordinary data, as a real printer would.
//!
//! # Transcript format
//!
//! [`Paper::transcript`] gives one line per printed item:
//!
//! | item | transcript line |
//! |---|---|
//! | plain left-aligned text | the text itself, e.g. `姓名：张三`, `------` |
//! | styled or aligned text | `[<style>] text`; the style is the alignment `L`/`C`/`R`, then `B` (bold), `U1`/`U2` (underline), `WxH` (size multipliers, when not 1x1), e.g. `[C B 2x2] 法律援助回执`, `[R] 第1页` |
//! | a style change inside a line | `{<style>}` before the changed part, same tokens without alignment, `{-}` for plain, e.g. `状态：{B}已受理` |
//! | an empty line (`LF` alone) | an empty line |
//! | QR code | `[QR <ecc> <module>] <data>`, e.g. `[QR M 6] https://example.invalid/r/123` |
//! | raster image | `[raster <width>x<height>]` in dots |
//! | barcode | `[BARCODE <symbology>] <data>` (a CODE128 `{B`/`{C` prefix is kept) |
//! | feed | `[FEED <n>]` for `ESC d n` (lines), `[FEED <n> dots]` for `ESC J` / `GS V` feeds |
//! | notes (not ink) | `[unknown 1B xx]`, `[QR not supported]`, `[QR too long: N bytes]`, ... |
//! | cut | `[CUT]` full, `[CUT partial]` partial; `[TEAR]` torn off at the tear bar (no cutter: `GS V` only notes `[no cutter]`) |
//!
//! A line that would start with `[` or `{` as plain text is written with an
//! explicit `[L] ` prefix so the transcript stays unambiguous.

use kiosk_printer::profile::{Profile, QrSupport};

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const DLE: u8 = 0x10;

/// Largest image body (bytes) the interpreter stores; bigger ones are
/// consumed and dropped (a real printer would print garbage or nothing).
const MAX_IMAGE_BYTES: usize = 1 << 20;
/// Largest barcode data accepted (form A without terminator is cut here).
const MAX_BARCODE_BYTES: usize = 255;
/// Largest `GS ( k` body (QR data) kept; the rest is skipped.
const MAX_QR_BODY: usize = 7100;
/// Default line spacing (`ESC 2`) in dots.
pub const DEFAULT_LINE_SPACING: u32 = 30;
/// ASCII cell width and glyph height of font A in dots.
pub const ASCII_CELL: u32 = 12;
/// CJK cell width in dots; cells are this tall for both.
pub const CJK_CELL: u32 = 24;

/// Horizontal alignment of a line (`ESC a`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

impl Align {
    fn letter(self) -> char {
        match self {
            Align::Left => 'L',
            Align::Center => 'C',
            Align::Right => 'R',
        }
    }
}

/// Style of a run of characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextStyle {
    pub bold: bool,
    /// 0 none, 1 thin, 2 thick.
    pub underline: u8,
    /// Width multiplier 1..=8.
    pub width: u8,
    /// Height multiplier 1..=8.
    pub height: u8,
}

impl Default for TextStyle {
    fn default() -> Self {
        TextStyle {
            bold: false,
            underline: 0,
            width: 1,
            height: 1,
        }
    }
}

impl TextStyle {
    fn tokens(&self) -> Vec<String> {
        let mut t = Vec::new();
        if self.bold {
            t.push("B".to_string());
        }
        if self.underline > 0 {
            t.push(format!("U{}", self.underline));
        }
        if self.width != 1 || self.height != 1 {
            t.push(format!("{}x{}", self.width, self.height));
        }
        t
    }
}

/// A run of text in one style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: TextStyle,
    /// Two-byte (GBK) characters in 24-dot cells; otherwise 12-dot cells.
    pub cjk: bool,
}

/// One printed line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextLine {
    pub align: Align,
    pub spans: Vec<Span>,
    /// Dots the paper moves after this line (line spacing, at least the
    /// height of the tallest character).
    pub advance: u32,
}

impl TextLine {
    /// The line's characters without style.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
    /// Height of the tallest character in dots.
    pub fn ink_height(&self) -> u32 {
        self.spans
            .iter()
            .map(|s| CJK_CELL * s.style.height as u32)
            .max()
            .unwrap_or(CJK_CELL)
    }
}

/// QR error-correction level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrEcc {
    L,
    M,
    Q,
    H,
}

/// A printed QR code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrItem {
    pub data: Vec<u8>,
    /// Module size in dots (1..=16).
    pub module: u8,
    pub ecc: QrEcc,
    pub align: Align,
}

/// A printed raster image; `bits` row-major, `true` = black.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RasterItem {
    pub width: u32,
    pub height: u32,
    pub bits: Vec<bool>,
    /// Horizontal and vertical dot multipliers (`GS v 0` m = 1/2/3).
    pub scale_x: u8,
    pub scale_y: u8,
    pub align: Align,
}

impl RasterItem {
    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.bits[(y * self.width + x) as usize]
    }
}

/// Barcode symbologies of `GS k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbology {
    UpcA,
    UpcE,
    Ean13,
    Ean8,
    Code39,
    Itf,
    Codabar,
    Code93,
    Code128,
    Other(u8),
}

impl Symbology {
    fn from_m(m: u8) -> Symbology {
        match m {
            0 | 65 => Symbology::UpcA,
            1 | 66 => Symbology::UpcE,
            2 | 67 => Symbology::Ean13,
            3 | 68 => Symbology::Ean8,
            4 | 69 => Symbology::Code39,
            5 | 70 => Symbology::Itf,
            6 | 71 => Symbology::Codabar,
            72 => Symbology::Code93,
            73 => Symbology::Code128,
            other => Symbology::Other(other),
        }
    }
    pub fn name(&self) -> String {
        match self {
            Symbology::UpcA => "UPC-A".into(),
            Symbology::UpcE => "UPC-E".into(),
            Symbology::Ean13 => "EAN13".into(),
            Symbology::Ean8 => "EAN8".into(),
            Symbology::Code39 => "CODE39".into(),
            Symbology::Itf => "ITF".into(),
            Symbology::Codabar => "CODABAR".into(),
            Symbology::Code93 => "CODE93".into(),
            Symbology::Code128 => "CODE128".into(),
            Symbology::Other(m) => format!("TYPE{m}"),
        }
    }
}

/// A printed barcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarcodeItem {
    pub symbology: Symbology,
    pub data: Vec<u8>,
    /// Bar height in dots (`GS h`).
    pub height: u32,
    /// Narrow module width in dots (`GS w`).
    pub module: u32,
    /// Human-readable text: 0 none, 1 above, 2 below, 3 both (`GS H`).
    pub hri: u8,
    pub align: Align,
}

/// Everything that can appear on the paper (or in the transcript).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaperItem {
    Text(TextLine),
    Raster(RasterItem),
    Qr(QrItem),
    Barcode(BarcodeItem),
    /// Paper fed without printing; `lines` is set for `ESC d`.
    Feed {
        dots: u32,
        lines: Option<u32>,
    },
    /// Not ink: something the printer did not understand or refused.
    Note(String),
    /// The paper was cut here (always the last item of a cut [`Paper`]).
    Cut {
        partial: bool,
    },
    /// Torn off by hand at the tear bar (printers without a cutter).
    Tear,
}

/// What got printed since the last cut.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paper {
    pub items: Vec<PaperItem>,
}

impl Paper {
    /// True when nothing at all was printed or noted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the paper ends in a cut (or was torn off).
    pub fn is_cut(&self) -> bool {
        matches!(
            self.items.last(),
            Some(PaperItem::Cut { .. } | PaperItem::Tear)
        )
    }

    /// Whether anything but notes is on it (ink or fed paper).
    pub fn has_output(&self) -> bool {
        self.items.iter().any(|i| !matches!(i, PaperItem::Note(_)))
    }

    /// All text lines' characters, one string per line (no style).
    pub fn text_lines(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                PaperItem::Text(l) => Some(l.text()),
                _ => None,
            })
            .collect()
    }

    /// Plain-text transcript; format in the module docs.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                PaperItem::Text(line) => out.push_str(&line_transcript(line)),
                PaperItem::Raster(r) => out.push_str(&format!(
                    "[raster {}x{}]",
                    r.width * r.scale_x as u32,
                    r.height * r.scale_y as u32
                )),
                PaperItem::Qr(q) => out.push_str(&format!(
                    "[QR {:?} {}] {}",
                    q.ecc,
                    q.module,
                    String::from_utf8_lossy(&q.data)
                )),
                PaperItem::Barcode(b) => out.push_str(&format!(
                    "[BARCODE {}] {}",
                    b.symbology.name(),
                    String::from_utf8_lossy(&b.data)
                )),
                PaperItem::Feed { lines: Some(n), .. } => out.push_str(&format!("[FEED {n}]")),
                PaperItem::Feed { dots, lines: None } => {
                    out.push_str(&format!("[FEED {dots} dots]"))
                }
                PaperItem::Note(n) => out.push_str(n),
                PaperItem::Cut { partial: false } => out.push_str("[CUT]"),
                PaperItem::Cut { partial: true } => out.push_str("[CUT partial]"),
                PaperItem::Tear => out.push_str("[TEAR]"),
            }
            out.push('\n');
        }
        out
    }
}

fn line_transcript(line: &TextLine) -> String {
    let mut out = String::new();
    let first = line.spans.first().map(|s| s.style).unwrap_or_default();
    let mut tokens = vec![line.align.letter().to_string()];
    tokens.extend(first.tokens());
    let text = line.text();
    let plain = tokens.len() == 1 && line.align == Align::Left;
    if !plain || text.starts_with('[') || text.starts_with('{') {
        out.push('[');
        out.push_str(&tokens.join(" "));
        out.push(']');
        if !line.spans.is_empty() {
            out.push(' ');
        }
    }
    let mut current = first;
    for span in &line.spans {
        if span.style != current {
            let t = span.style.tokens();
            out.push('{');
            out.push_str(&if t.is_empty() {
                "-".into()
            } else {
                t.join(" ")
            });
            out.push('}');
            current = span.style;
        }
        out.push_str(&span.text);
    }
    out
}

/// What the bytes made the printer do, besides putting ink on paper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `DLE EOT n`: the host asks for real-time status `n` (1..=4).
    StatusRequest(u8),
    /// `GS a n`: automatic status back enabled for the bits in `n` (0 = off).
    AutoStatus(u8),
    /// `ESC @`: the printer was initialised.
    Initialized,
    /// The paper was cut; everything printed since the previous cut.
    Cut(Paper),
}

#[derive(Clone, Copy, Debug)]
struct Modes {
    bold: bool,
    underline: u8,
    /// From `ESC !`: ASCII double width/height, bold, underline.
    ascii_wide: bool,
    ascii_tall: bool,
    ascii_bold: bool,
    ascii_underline: bool,
    /// From `FS !`.
    cjk_wide: bool,
    cjk_tall: bool,
    cjk_underline: u8,
    /// From `GS !`.
    gs_width: u8,
    gs_height: u8,
    align: Align,
    line_spacing: u32,
    chinese: bool,
    barcode_height: u32,
    barcode_module: u32,
    hri: u8,
    qr_module: u8,
    qr_ecc: QrEcc,
}

impl Modes {
    fn power_on(profile: &Profile) -> Modes {
        Modes {
            bold: false,
            underline: 0,
            ascii_wide: false,
            ascii_tall: false,
            ascii_bold: false,
            ascii_underline: false,
            cjk_wide: false,
            cjk_tall: false,
            cjk_underline: 0,
            gs_width: 1,
            gs_height: 1,
            align: Align::Left,
            line_spacing: DEFAULT_LINE_SPACING,
            chinese: profile.chinese_mode,
            barcode_height: 162,
            barcode_module: 3,
            hri: 0,
            qr_module: 3,
            qr_ecc: QrEcc::L,
        }
    }

    fn style(&self, cjk: bool) -> TextStyle {
        let (wide, tall, extra_bold, extra_ul) = if cjk {
            (self.cjk_wide, self.cjk_tall, false, self.cjk_underline)
        } else {
            (
                self.ascii_wide,
                self.ascii_tall,
                self.ascii_bold,
                self.ascii_underline as u8,
            )
        };
        TextStyle {
            bold: self.bold || extra_bold,
            underline: self.underline.max(extra_ul),
            width: if wide {
                self.gs_width.max(2)
            } else {
                self.gs_width
            },
            height: if tall {
                self.gs_height.max(2)
            } else {
                self.gs_height
            },
        }
    }
}

/// Result of trying to parse one command at the front of the buffer.
enum Step {
    /// Not enough bytes yet.
    NeedMore,
    /// Consumed this many bytes.
    Done(usize),
}

/// The printer's interpreter. See the module docs.
pub struct Interpreter {
    profile: &'static Profile,
    modes: Modes,
    pending: Vec<u8>,
    /// Bytes of a too-large body still to be discarded.
    skip: usize,
    /// Inside a form-A barcode (NUL-terminated): symbology and data so far.
    barcode_a: Option<(u8, Vec<u8>)>,
    line: Vec<Span>,
    line_dots: u32,
    paper: Paper,
    qr_data: Option<Vec<u8>>,
    events: Vec<Event>,
}

/// The `n` argument bytes after a two-byte command in `buf`, or "need more
/// input" from the enclosing command decoder.
macro_rules! arg {
    ($buf:expr, $n:expr) => {
        match $buf.get(2..2 + $n) {
            Some(a) => a.to_vec(),
            None => return Step::NeedMore,
        }
    };
}

impl Interpreter {
    pub fn new(profile: &'static Profile) -> Self {
        Interpreter {
            profile,
            modes: Modes::power_on(profile),
            pending: Vec::new(),
            skip: 0,
            barcode_a: None,
            line: Vec::new(),
            line_dots: 0,
            paper: Paper::default(),
            qr_data: None,
            events: Vec::new(),
        }
    }

    /// The profile this printer was built as.
    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    /// Paper width in dots.
    fn width_dots(&self) -> u32 {
        self.profile.paper_dots as u32
    }

    /// Interpret `bytes`; returns what happened besides printing.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(bytes);
        let mut pos = 0;
        while pos < pending.len() {
            let rest = &pending[pos..];
            if self.skip > 0 {
                let n = self.skip.min(rest.len());
                self.skip -= n;
                pos += n;
                continue;
            }
            if self.barcode_a.is_some() {
                pos += self.barcode_form_a(rest).max(1);
                continue;
            }
            match self.step(rest) {
                Step::NeedMore => break,
                Step::Done(n) => pos += n.max(1),
            }
        }
        pending.drain(..pos.min(pending.len()));
        self.pending = pending;
        std::mem::take(&mut self.events)
    }

    /// What has been printed since the last cut, including the line being
    /// assembled, without ending it.
    pub fn pending_paper(&self) -> Paper {
        let mut paper = self.paper.clone();
        if !self.line.is_empty() {
            paper.items.push(PaperItem::Text(self.make_line(None)));
        }
        paper
    }

    /// End of input: the receipt printed since the last cut (with the line
    /// still being assembled), if anything was printed. Resets the paper.
    pub fn finish(&mut self) -> Option<Paper> {
        if !self.line.is_empty() {
            self.flush_line(None);
        }
        if self.paper.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.paper))
        }
    }

    /// True when a partial line or printed items wait for a cut.
    pub fn has_pending_output(&self) -> bool {
        !self.line.is_empty() || self.paper.has_output()
    }

    /// The person at a printer without a cutter tears the paper off: the
    /// receipt printed since the last tear (the line being assembled is
    /// printed first), ending in [`PaperItem::Tear`]; `None` when nothing
    /// was printed.
    pub fn tear_off(&mut self) -> Option<Paper> {
        if !self.has_pending_output() {
            return None;
        }
        self.flush_if_line();
        self.paper.items.push(PaperItem::Tear);
        Some(std::mem::take(&mut self.paper))
    }

    fn note(&mut self, text: String) {
        self.paper.items.push(PaperItem::Note(text));
    }

    fn barcode_form_a(&mut self, rest: &[u8]) -> usize {
        let Some((m, mut data)) = self.barcode_a.take() else {
            return 0;
        };
        match rest.iter().position(|&b| b == 0) {
            Some(i) if data.len() + i <= MAX_BARCODE_BYTES => {
                data.extend_from_slice(&rest[..i]);
                self.print_barcode(m, data);
                i + 1
            }
            _ => {
                let take = rest.len().min(MAX_BARCODE_BYTES + 1 - data.len());
                data.extend_from_slice(&rest[..take]);
                if data.len() > MAX_BARCODE_BYTES {
                    self.note("[BARCODE error: no terminator]".into());
                } else {
                    self.barcode_a = Some((m, data));
                }
                take
            }
        }
    }

    /// Parse one command or character at `pos`.
    fn step(&mut self, buf: &[u8]) -> Step {
        let b = buf[0];
        match b {
            ESC => self.esc(buf),
            GS => self.gs(buf),
            FS => self.fs(buf),
            DLE => self.dle(buf),
            0x0A => {
                self.flush_line(None);
                Step::Done(1)
            }
            0x09 => {
                let tab = ASCII_CELL * 8;
                let next = (self.line_dots / tab + 1) * tab;
                if next <= self.width_dots() {
                    let n = ((next - self.line_dots) / ASCII_CELL) as usize;
                    let style = self.modes.style(false);
                    self.push_text(&" ".repeat(n.max(1)), style, false, next - self.line_dots);
                }
                Step::Done(1)
            }
            0x0C => {
                // FF in standard mode: print and feed like LF on most units.
                self.flush_line(None);
                Step::Done(1)
            }
            0x00..=0x1F | 0x7F => Step::Done(1),
            0x80..=0xFF if self.modes.chinese => {
                if b == 0x80 || b == 0xFF {
                    self.print_char('?', false);
                    return Step::Done(1);
                }
                let Some(&b2) = buf.get(1) else {
                    return Step::NeedMore;
                };
                if (0x40..=0xFE).contains(&b2) && b2 != 0x7F {
                    let pair = [b, b2];
                    let (text, _) = encoding_rs::GBK.decode_without_bom_handling(&pair);
                    let ch = text.chars().next().unwrap_or('?');
                    self.print_char(ch, true);
                    Step::Done(2)
                } else {
                    self.print_char('?', false);
                    Step::Done(1)
                }
            }
            _ => {
                self.print_char(char::from(b), false);
                Step::Done(1)
            }
        }
    }

    fn esc(&mut self, buf: &[u8]) -> Step {
        let Some(&c) = buf.get(1) else {
            return Step::NeedMore;
        };
        match c {
            b'@' => {
                self.line.clear();
                self.line_dots = 0;
                self.modes = Modes::power_on(self.profile);
                self.qr_data = None;
                self.events.push(Event::Initialized);
                Step::Done(2)
            }
            b'E' => {
                let a = arg!(buf, 1);
                self.modes.bold = a[0] & 1 == 1;
                Step::Done(3)
            }
            b'-' => {
                let a = arg!(buf, 1);
                self.modes.underline = underline_arg(a[0]);
                Step::Done(3)
            }
            b'!' => {
                let a = arg!(buf, 1)[0];
                self.modes.ascii_bold = a & 0x08 != 0;
                self.modes.ascii_tall = a & 0x10 != 0;
                self.modes.ascii_wide = a & 0x20 != 0;
                self.modes.ascii_underline = a & 0x80 != 0;
                Step::Done(3)
            }
            b'a' => {
                let a = arg!(buf, 1)[0];
                if self.line.is_empty() {
                    self.modes.align = match a {
                        1 | b'1' => Align::Center,
                        2 | b'2' => Align::Right,
                        _ => Align::Left,
                    };
                }
                Step::Done(3)
            }
            b'2' => {
                self.modes.line_spacing = DEFAULT_LINE_SPACING;
                Step::Done(2)
            }
            b'3' => {
                self.modes.line_spacing = arg!(buf, 1)[0] as u32;
                Step::Done(3)
            }
            b'd' => {
                let n = arg!(buf, 1)[0] as u32;
                if !self.line.is_empty() {
                    self.flush_line(None);
                }
                if n > 0 {
                    self.paper.items.push(PaperItem::Feed {
                        dots: n * self.modes.line_spacing.max(1),
                        lines: Some(n),
                    });
                }
                Step::Done(3)
            }
            b'J' => {
                let n = arg!(buf, 1)[0] as u32;
                if !self.line.is_empty() {
                    self.flush_line(Some(n));
                } else if n > 0 {
                    self.paper.items.push(PaperItem::Feed {
                        dots: n,
                        lines: None,
                    });
                }
                Step::Done(3)
            }
            b'i' | b'm' => {
                self.cut(c == b'm', 0);
                Step::Done(2)
            }
            b'*' => {
                let a = arg!(buf, 3);
                let n = a[1] as usize | (a[2] as usize) << 8;
                let (rows, bytes) = match a[0] {
                    0 | 1 => (8, n),
                    32 | 33 => (24, 3 * n),
                    _ => {
                        self.note(format!("[unknown 1B 2A {:02X}]", a[0]));
                        return Step::Done(3);
                    }
                };
                let Some(data) = buf.get(5..5 + bytes) else {
                    return Step::NeedMore;
                };
                let wide = a[0] == 0 || a[0] == 32;
                self.bit_image(data.to_vec(), n as u32, rows, wide);
                Step::Done(5 + bytes)
            }
            b'&' => {
                // User-defined characters: y c1 c2 then per char x, x*y bytes.
                let a = arg!(buf, 3);
                let (y, c1, c2) = (a[0] as usize, a[1] as usize, a[2] as usize);
                let mut at = 5;
                for _ in c1..=c2.max(c1) {
                    let Some(&x) = buf.get(at) else {
                        return Step::NeedMore;
                    };
                    at += 1 + x as usize * y;
                }
                if buf.len() < at {
                    return Step::NeedMore;
                }
                Step::Done(at)
            }
            b'D' => match buf[2..].iter().position(|&b| b == 0) {
                Some(i) => Step::Done(3 + i),
                None if buf.len() > 40 => Step::Done(2),
                None => Step::NeedMore,
            },
            // Known commands without effect here, by argument count.
            b'<' | b'L' | b'S' | b'v' => Step::Done(2),
            b' ' | b'%' | b'?' | b'=' | b'G' | b'M' | b'R' | b'T' | b'V' | b'e' | b'r' | b't'
            | b'u' | b'{' | b'K' | b'U' => {
                arg!(buf, 1);
                Step::Done(3)
            }
            b'$' | b'\\' | b'B' | b'c' => {
                arg!(buf, 2);
                Step::Done(4)
            }
            b'p' => {
                arg!(buf, 3);
                Step::Done(5)
            }
            b'W' => {
                arg!(buf, 8);
                Step::Done(10)
            }
            _ => {
                self.note(format!("[unknown 1B {c:02X}]"));
                Step::Done(2)
            }
        }
    }

    fn gs(&mut self, buf: &[u8]) -> Step {
        let Some(&c) = buf.get(1) else {
            return Step::NeedMore;
        };
        match c {
            b'!' => {
                let a = arg!(buf, 1)[0];
                self.modes.gs_width = ((a >> 4) & 0x07) + 1;
                self.modes.gs_height = (a & 0x07) + 1;
                Step::Done(3)
            }
            b'V' => {
                let m = arg!(buf, 1)[0];
                match m {
                    0 | 48 => {
                        self.cut(false, 0);
                        Step::Done(3)
                    }
                    1 | 49 => {
                        self.cut(true, 0);
                        Step::Done(3)
                    }
                    65 | 66 | 97..=105 => {
                        let n = arg!(buf, 2)[1] as u32;
                        self.cut(m == 66 || m == 98 || m == 104, n);
                        Step::Done(4)
                    }
                    _ => {
                        self.note(format!("[unknown 1D 56 {m:02X}]"));
                        Step::Done(3)
                    }
                }
            }
            b'h' => {
                let n = arg!(buf, 1)[0] as u32;
                self.modes.barcode_height = n.max(1);
                Step::Done(3)
            }
            b'w' => {
                let n = arg!(buf, 1)[0] as u32;
                self.modes.barcode_module = n.clamp(1, 6);
                Step::Done(3)
            }
            b'H' => {
                let n = arg!(buf, 1)[0];
                self.modes.hri = match n {
                    0..=3 => n,
                    b'0'..=b'3' => n - b'0',
                    _ => self.modes.hri,
                };
                Step::Done(3)
            }
            b'a' => {
                let n = arg!(buf, 1)[0];
                self.events.push(Event::AutoStatus(n));
                Step::Done(3)
            }
            b'k' => {
                let m = arg!(buf, 1)[0];
                if m <= 6 {
                    self.barcode_a = Some((m, Vec::new()));
                    Step::Done(3)
                } else {
                    let n = arg!(buf, 2)[1] as usize;
                    let Some(data) = buf.get(4..4 + n) else {
                        return Step::NeedMore;
                    };
                    let data = data.to_vec();
                    self.print_barcode(m, data);
                    Step::Done(4 + n)
                }
            }
            b'v' => {
                let a = arg!(buf, 6);
                if a[0] != b'0' {
                    self.note(format!("[unknown 1D 76 {:02X}]", a[0]));
                    return Step::Done(3);
                }
                let x = a[2] as usize | (a[3] as usize) << 8;
                let y = a[4] as usize | (a[5] as usize) << 8;
                let len = x * y;
                if len > MAX_IMAGE_BYTES {
                    self.note(format!("[raster too large: {}x{}]", x * 8, y));
                    self.skip = len;
                    return Step::Done(8);
                }
                let Some(data) = buf.get(8..8 + len) else {
                    return Step::NeedMore;
                };
                let data = data.to_vec();
                self.raster(a[1], x as u32, y as u32, &data);
                Step::Done(8 + len)
            }
            b'(' => {
                let a = arg!(buf, 3);
                let len = a[1] as usize | (a[2] as usize) << 8;
                if a[0] == b'k' && len <= MAX_QR_BODY {
                    let Some(body) = buf.get(5..5 + len) else {
                        return Step::NeedMore;
                    };
                    let body = body.to_vec();
                    self.two_d_code(&body);
                    Step::Done(5 + len)
                } else {
                    if a[0] == b'k' {
                        self.note(format!("[QR too long: {} bytes]", len.saturating_sub(3)));
                    }
                    self.skip = len;
                    Step::Done(5)
                }
            }
            b'8' => {
                // GS 8 L p1 p2 p3 p4: 32-bit length graphics data.
                let a = arg!(buf, 5);
                let len = u32::from_le_bytes([a[1], a[2], a[3], a[4]]) as usize;
                self.skip = len;
                Step::Done(7)
            }
            b'*' => {
                let a = arg!(buf, 2);
                self.skip = a[0] as usize * a[1] as usize * 8;
                Step::Done(4)
            }
            b':' => Step::Done(2),
            b'/' | b'B' | b'I' | b'T' | b'b' | b'f' | b'r' | b'E' => {
                arg!(buf, 1);
                Step::Done(3)
            }
            b'$' | b'L' | b'P' | b'W' | b'\\' => {
                arg!(buf, 2);
                Step::Done(4)
            }
            b'^' => {
                arg!(buf, 3);
                Step::Done(5)
            }
            b'g' => {
                arg!(buf, 4);
                Step::Done(6)
            }
            _ => {
                self.note(format!("[unknown 1D {c:02X}]"));
                Step::Done(2)
            }
        }
    }

    fn fs(&mut self, buf: &[u8]) -> Step {
        let Some(&c) = buf.get(1) else {
            return Step::NeedMore;
        };
        match c {
            b'&' => {
                self.modes.chinese = true;
                Step::Done(2)
            }
            b'.' => {
                self.modes.chinese = false;
                Step::Done(2)
            }
            b'!' => {
                let a = arg!(buf, 1)[0];
                self.modes.cjk_wide = a & 0x04 != 0;
                self.modes.cjk_tall = a & 0x08 != 0;
                self.modes.cjk_underline = if a & 0x80 != 0 { 1 } else { 0 };
                Step::Done(3)
            }
            b'-' => {
                let a = arg!(buf, 1)[0];
                self.modes.cjk_underline = underline_arg(a);
                Step::Done(3)
            }
            b'C' | b'W' => {
                arg!(buf, 1);
                Step::Done(3)
            }
            b'S' | b'p' => {
                arg!(buf, 2);
                Step::Done(4)
            }
            b'2' => {
                arg!(buf, 74);
                Step::Done(76)
            }
            _ => {
                self.note(format!("[unknown 1C {c:02X}]"));
                Step::Done(2)
            }
        }
    }

    fn dle(&mut self, buf: &[u8]) -> Step {
        let Some(&c) = buf.get(1) else {
            return Step::NeedMore;
        };
        match c {
            0x04 => {
                let Some(&n) = buf.get(2) else {
                    return Step::NeedMore;
                };
                match n {
                    1..=4 => {
                        self.events.push(Event::StatusRequest(n));
                        Step::Done(3)
                    }
                    7 | 8 => {
                        if buf.len() < 4 {
                            Step::NeedMore
                        } else {
                            Step::Done(4)
                        }
                    }
                    _ => Step::Done(3),
                }
            }
            0x05 => {
                if buf.len() < 3 {
                    Step::NeedMore
                } else {
                    Step::Done(3)
                }
            }
            0x14 => {
                if buf.len() < 5 {
                    Step::NeedMore
                } else {
                    Step::Done(5)
                }
            }
            // A lone DLE is an ignored control character.
            _ => Step::Done(1),
        }
    }

    fn two_d_code(&mut self, body: &[u8]) {
        // body = cn fn params...
        if body.len() < 2 {
            return;
        }
        let (cn, func) = (body[0], body[1]);
        if cn != 0x31 {
            self.note(format!("[2D code {cn:02X} not supported]"));
            return;
        }
        let max_bytes = match self.profile.qr {
            QrSupport::Native { max_bytes } => max_bytes as usize,
            _ => {
                if func == 0x51 {
                    self.note("[QR not supported]".into());
                }
                return;
            }
        };
        let p = &body[2..];
        match func {
            0x41 => {} // model: only model 2 is drawn
            0x43 => {
                if let Some(&n) = p.first()
                    && (1..=16).contains(&n)
                {
                    self.modes.qr_module = n;
                }
            }
            0x45 => {
                if let Some(&n) = p.first() {
                    self.modes.qr_ecc = match n {
                        48 => QrEcc::L,
                        49 => QrEcc::M,
                        50 => QrEcc::Q,
                        51 => QrEcc::H,
                        _ => self.modes.qr_ecc,
                    };
                }
            }
            0x50 => {
                let data = p.get(1..).unwrap_or_default();
                if data.len() > max_bytes {
                    self.note(format!("[QR too long: {} bytes]", data.len()));
                    self.qr_data = None;
                } else {
                    self.qr_data = Some(data.to_vec());
                }
            }
            0x51 => match self.qr_data.clone() {
                Some(data) if !data.is_empty() => {
                    self.flush_if_line();
                    self.paper.items.push(PaperItem::Qr(QrItem {
                        data,
                        module: self.modes.qr_module,
                        ecc: self.modes.qr_ecc,
                        align: self.modes.align,
                    }))
                }
                _ => self.note("[QR no data]".into()),
            },
            _ => {}
        }
    }

    fn print_barcode(&mut self, m: u8, data: Vec<u8>) {
        self.flush_if_line();
        self.paper.items.push(PaperItem::Barcode(BarcodeItem {
            symbology: Symbology::from_m(m),
            data,
            height: self.modes.barcode_height,
            module: self.modes.barcode_module,
            hri: self.modes.hri,
            align: self.modes.align,
        }));
    }

    fn raster(&mut self, m: u8, x: u32, y: u32, data: &[u8]) {
        self.flush_if_line();
        let width = x * 8;
        let mut bits = vec![false; (width * y) as usize];
        for (i, byte) in data.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    bits[i * 8 + bit] = true;
                }
            }
        }
        let (sx, sy) = match m & 0x03 {
            1 => (2, 1),
            2 => (1, 2),
            3 => (2, 2),
            _ => (1, 1),
        };
        self.paper.items.push(PaperItem::Raster(RasterItem {
            width,
            height: y,
            bits,
            scale_x: sx,
            scale_y: sy,
            align: self.modes.align,
        }));
    }

    /// `ESC *`: column-format bit image, one band of `rows` dots.
    fn bit_image(&mut self, data: Vec<u8>, columns: u32, rows: u32, double_width: bool) {
        self.flush_if_line();
        let bytes_per_col = (rows / 8) as usize;
        let mut bits = vec![false; (columns * rows) as usize];
        for col in 0..columns as usize {
            for r in 0..rows as usize {
                let byte = data[col * bytes_per_col + r / 8];
                if byte & (0x80 >> (r % 8)) != 0 {
                    bits[r * columns as usize + col] = true;
                }
            }
        }
        self.paper.items.push(PaperItem::Raster(RasterItem {
            width: columns,
            height: rows,
            bits,
            scale_x: if double_width { 2 } else { 1 },
            scale_y: if rows == 8 { 3 } else { 1 },
            align: self.modes.align,
        }));
    }

    fn cut(&mut self, partial: bool, feed: u32) {
        self.flush_if_line();
        if !self.profile.cutter {
            // A printer with a tear bar ignores the cut; the paper is torn
            // off by hand (see `tear_off`).
            if feed > 0 {
                self.paper.items.push(PaperItem::Feed {
                    dots: feed,
                    lines: None,
                });
            }
            self.note("[no cutter]".into());
            return;
        }
        if feed > 0 {
            self.paper.items.push(PaperItem::Feed {
                dots: feed,
                lines: None,
            });
        }
        self.paper.items.push(PaperItem::Cut { partial });
        let paper = std::mem::take(&mut self.paper);
        self.events.push(Event::Cut(paper));
    }

    fn flush_if_line(&mut self) {
        if !self.line.is_empty() {
            self.flush_line(None);
        }
    }

    fn make_line(&self, feed: Option<u32>) -> TextLine {
        let mut line = TextLine {
            align: self.modes.align,
            spans: self.line.clone(),
            advance: 0,
        };
        let ink = if line.spans.is_empty() {
            CJK_CELL * self.modes.gs_height as u32
        } else {
            line.ink_height()
        };
        line.advance = match feed {
            Some(n) => n.max(ink),
            None => self.modes.line_spacing.max(ink),
        };
        line
    }

    fn flush_line(&mut self, feed: Option<u32>) {
        let line = self.make_line(feed);
        self.paper.items.push(PaperItem::Text(line));
        self.line.clear();
        self.line_dots = 0;
    }

    fn print_char(&mut self, ch: char, cjk: bool) {
        let style = self.modes.style(cjk);
        let cell = if cjk { CJK_CELL } else { ASCII_CELL };
        let w = cell * style.width as u32;
        let mut s = [0u8; 4];
        self.push_text(ch.encode_utf8(&mut s), style, cjk, w);
    }

    fn push_text(&mut self, text: &str, style: TextStyle, cjk: bool, dots: u32) {
        if self.line_dots + dots > self.width_dots() && !self.line.is_empty() {
            self.flush_line(None);
        }
        if dots > self.width_dots() {
            // A character wider than the paper is not printed.
            return;
        }
        self.line_dots += dots;
        match self.line.last_mut() {
            Some(span) if span.style == style && span.cjk == cjk => span.text.push_str(text),
            _ => self.line.push(Span {
                text: text.to_string(),
                style,
                cjk,
            }),
        }
    }
}

fn underline_arg(a: u8) -> u8 {
    match a {
        0 | b'0' => 0,
        1 | b'1' => 1,
        2 | b'2' => 2,
        _ => 0,
    }
}
