//! How text is cut into searchable cells, shared by indexing, querying and
//! highlighting so that all three agree on positions.
//!
//! Chinese has no spaces between words, so every Han character is its own
//! cell; a match is a run of consecutive cells. A run of Latin letters or
//! digits (`12348`, `APP`) is one cell. Any other character (punctuation,
//! space, line break) is a gap: it takes a position but no cell, so a match
//! never spans `离，婚` or two paragraphs.

/// What a cell holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CellKind {
    /// One Han character.
    Han(char),
    /// A run of other letters/digits, normalised to lowercase half-width.
    Word(String),
}

/// One cell of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    /// Position within the text: consecutive cells of a phrase have
    /// consecutive positions; gaps skip one.
    pub pos: u32,
    /// Byte range in the original text.
    pub range: std::ops::Range<usize>,
    /// The content.
    pub kind: CellKind,
}

/// Whether `c` is a CJK ideograph (the unified blocks and extension A,
/// compatibility ideographs, and the supplementary-plane extensions).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Maps full-width ASCII (what a Chinese keyboard or document gives:
/// `１２３４８`, `ＡＰＰ`) to half-width and lowercases Latin letters, one
/// character to one character so byte offsets in the original stay valid.
pub(crate) fn normalize(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    // CJK punctuation and symbols are common in content and never letters;
    // skip the slower Unicode tables for them.
    if matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF | 0x2000..=0x206F) {
        return false;
    }
    c.is_alphanumeric() && !is_han(c)
}

/// Cuts `text` into cells, lazily, so a caller that needs only the first
/// few positions stops early.
pub(crate) fn cells(text: &str) -> Cells<'_> {
    Cells {
        text,
        chars: text.char_indices().peekable(),
        pos: 0,
    }
}

/// Iterator over the cells of a text; see [`cells`].
pub(crate) struct Cells<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    pos: u32,
}

impl Iterator for Cells<'_> {
    type Item = Cell;

    fn next(&mut self) -> Option<Cell> {
        loop {
            let (start, raw) = self.chars.next()?;
            let c = normalize(raw);
            let pos = self.pos;
            self.pos = self.pos.saturating_add(1);
            if is_han(c) {
                return Some(Cell {
                    pos,
                    range: start..start + raw.len_utf8(),
                    kind: CellKind::Han(c),
                });
            }
            if is_word_char(c) {
                let mut word = c.to_string();
                let mut end = start + raw.len_utf8();
                while let Some(&(i, next_raw)) = self.chars.peek() {
                    let next = normalize(next_raw);
                    if !is_word_char(next) {
                        break;
                    }
                    word.push(next);
                    end = i + next_raw.len_utf8();
                    self.chars.next();
                }
                debug_assert!(end <= self.text.len());
                return Some(Cell {
                    pos,
                    range: start..end,
                    kind: CellKind::Word(word),
                });
            }
            // Anything else is a gap: it used up a position above.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_characters_are_single_cells_and_punctuation_is_a_gap() {
        let c: Vec<Cell> = cells("离婚，拨打１２３４８或APP").collect();
        let kinds: Vec<_> = c.iter().map(|c| (c.pos, c.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (0, CellKind::Han('离')),
                (1, CellKind::Han('婚')),
                (3, CellKind::Han('拨')),
                (4, CellKind::Han('打')),
                (5, CellKind::Word("12348".into())),
                (6, CellKind::Han('或')),
                (7, CellKind::Word("app".into())),
            ]
        );
        let text = "离婚，拨打１２３４８或APP";
        assert_eq!(&text[c[4].range.clone()], "１２３４８");
    }
}
