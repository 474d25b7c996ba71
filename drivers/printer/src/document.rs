//! What a receipt says, independent of any printer.
//!
//! A [`Receipt`] is a list of [`Block`]s built with a small builder. It has
//! no widths, no encodings and no commands: [`crate::layout`] fits it to a
//! profile's columns (for the printer and for the on-screen preview alike)
//! and [`crate::escpos`] turns the laid-out lines into bytes.

/// Horizontal alignment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// Character size: the printer's `GS !` multipliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Size {
    #[default]
    Normal,
    DoubleHeight,
    DoubleWidth,
    Double,
}

impl Size {
    /// (width, height) multipliers.
    pub fn multipliers(self) -> (u8, u8) {
        match self {
            Size::Normal => (1, 1),
            Size::DoubleHeight => (1, 2),
            Size::DoubleWidth => (2, 1),
            Size::Double => (2, 2),
        }
    }
}

/// How a run of text looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Style {
    pub bold: bool,
    pub size: Size,
    pub align: Align,
    pub underline: bool,
}

impl Style {
    /// The style of a [`Block::Title`]: centred, bold, double size.
    pub const TITLE: Style = Style {
        bold: true,
        size: Size::Double,
        align: Align::Center,
        underline: false,
    };
}

/// One element of a receipt. Serialised (for tools and benchmarks) as
/// serde's externally tagged enum: `"Separator"`, `{"Feed": 2}`,
/// `{"Text": {"text": …, "style": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Block {
    /// Centred, bold, double size.
    Title(String),
    /// Wrapped text; `\n` starts a new line.
    Text { text: String, style: Style },
    /// Key on the left, value right-aligned on the same line if both fit,
    /// else the value on the following line(s), indented.
    KeyValue { key: String, value: String },
    /// A full-width line of `-`.
    Separator,
    /// A QR code, centred.
    Qr { payload: String },
    /// A CODE128 barcode (printable ASCII), centred, digits printed below.
    Barcode { data: String },
    /// Blank lines.
    Feed(u8),
    /// Feed past the cutter and cut (or past the tear bar).
    Cut,
}

/// A receipt: blocks from top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Receipt {
    pub blocks: Vec<Block>,
}

impl Receipt {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }

    pub fn title(self, t: &str) -> Self {
        self.push(Block::Title(t.to_owned()))
    }

    pub fn text(self, t: &str) -> Self {
        self.styled(t, Style::default())
    }

    pub fn styled(self, t: &str, style: Style) -> Self {
        self.push(Block::Text {
            text: t.to_owned(),
            style,
        })
    }

    pub fn key_value(self, k: &str, v: &str) -> Self {
        self.push(Block::KeyValue {
            key: k.to_owned(),
            value: v.to_owned(),
        })
    }

    pub fn separator(self) -> Self {
        self.push(Block::Separator)
    }

    pub fn qr(self, payload: &str) -> Self {
        self.push(Block::Qr {
            payload: payload.to_owned(),
        })
    }

    pub fn barcode(self, data: &str) -> Self {
        self.push(Block::Barcode {
            data: data.to_owned(),
        })
    }

    pub fn feed(self, lines: u8) -> Self {
        self.push(Block::Feed(lines))
    }

    pub fn cut(self) -> Self {
        self.push(Block::Cut)
    }
}
