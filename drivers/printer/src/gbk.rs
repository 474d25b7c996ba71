//! Text to the printer's encoding: GBK, i.e. the two-byte part of GB18030.
//!
//! Chinese printers' resident font is GB18030 but only its one- and two-byte
//! part; a four-byte GB18030 sequence is printed as garbage (the classic
//! "¥ prints as `0 6`"). So every character is classified:
//!
//! * ASCII (one byte) or a two-byte GBK code: printable as text;
//! * anything else is [`Segment::Unencodable`]: the renderer draws the line
//!   as an image instead.
//!
//! Before that, a few characters are replaced by what the printer has
//! ([`substitute`]): `¥` (U+00A5, 4-byte in GB18030) by `￥` (U+FFE5,
//! `A3 A4`), the no-break and typographic spaces by a space, `©`/`®` by
//! `(C)`/`(R)`, `•` by `·` (`A1 A4`), invisible format characters (soft
//! hyphen, zero-width space/joiners, BOM, variation selectors) by nothing.
//! `€` is `A2 E3` (its GB18030 two-byte code), never the single byte `80`
//! that Windows' GBK uses, which GB18030 printers do not have.
//!
//! Excluded although GB18030 gives them two bytes: the private-use area
//! (GBK's user-defined codes print blank or a vendor logo) and the handful of
//! codes GB18030-2005 moved out of the private-use area (vertical forms and
//! a few rare ideographs at `A6D9..A6F3` and `FE59..FEA0`), which GBK-era
//! fonts do not have.

use encoding_rs::GB18030;

/// A run of text: printable GBK bytes, or characters the printer's font
/// cannot print (kept as text for rasterising).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Gbk(Vec<u8>),
    Unencodable(String),
}

/// How one character reaches the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharCode {
    /// Printable ASCII or a control byte (one byte).
    Single(u8),
    /// A two-byte GBK code.
    Double([u8; 2]),
    /// Not in the printer's font.
    Unencodable,
}

/// What the printer prints instead of `c`, if it can't print `c` itself but
/// has something equivalent. Applied by [`encode`] and by the layout (so
/// widths are those of the replacement).
pub fn substitute(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{A5}' => "\u{FFE5}",
        '\u{A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => " ",
        '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}' => {
            ""
        }
        '\u{2011}' => "-",
        '\u{A9}' => "(C)",
        '\u{AE}' => "(R)",
        '\u{2022}' => "\u{B7}",
        _ => return None,
    })
}

/// Apply [`substitute`] to a whole string.
pub fn substitute_str(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| substitute(c).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match substitute(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Two-byte codes that GBK-era fonts lack (see the module docs).
fn moved_in_2005(b: [u8; 2]) -> bool {
    matches!(
        u16::from_be_bytes(b),
        0xA6D9
            ..=0xA6DF
                | 0xA6EC
                | 0xA6ED
                | 0xA6F3
                | 0xFE59
                | 0xFE61
                | 0xFE66
                | 0xFE67
                | 0xFE6D
                | 0xFE7E
                | 0xFE90
                | 0xFEA0
    )
}

/// The printer code of one character, without substitution.
pub fn encode_char(c: char) -> CharCode {
    if c.is_ascii() {
        return CharCode::Single(c as u8);
    }
    if ('\u{E000}'..='\u{F8FF}').contains(&c) || c == '\u{80}' {
        return CharCode::Unencodable;
    }
    if c == '\u{20AC}' {
        return CharCode::Double([0xA2, 0xE3]);
    }
    let mut utf8 = [0u8; 4];
    let s = c.encode_utf8(&mut utf8);
    let mut out = [0u8; 8];
    let mut encoder = GB18030.new_encoder();
    let (result, _read, written) = encoder.encode_from_utf8_without_replacement(s, &mut out, true);
    match (result, written) {
        (encoding_rs::EncoderResult::InputEmpty, 2) if out[0] >= 0x81 && out[1] >= 0x40 => {
            let b = [out[0], out[1]];
            if moved_in_2005(b) {
                CharCode::Unencodable
            } else {
                CharCode::Double(b)
            }
        }
        _ => CharCode::Unencodable,
    }
}

/// Encode `text` for the printer: substitutions first, then maximal runs of
/// printable bytes and of unencodable characters. Control characters pass
/// through as single bytes (the layout removes them from receipt text).
pub fn encode(text: &str) -> Vec<Segment> {
    let text = substitute_str(text);
    let mut segments: Vec<Segment> = Vec::new();
    for c in text.chars() {
        match encode_char(c) {
            CharCode::Single(b) => push_bytes(&mut segments, &[b]),
            CharCode::Double(b) => push_bytes(&mut segments, &b),
            CharCode::Unencodable => match segments.last_mut() {
                Some(Segment::Unencodable(s)) => s.push(c),
                _ => segments.push(Segment::Unencodable(c.to_string())),
            },
        }
    }
    segments
}

fn push_bytes(segments: &mut Vec<Segment>, bytes: &[u8]) {
    match segments.last_mut() {
        Some(Segment::Gbk(v)) => v.extend_from_slice(bytes),
        _ => segments.push(Segment::Gbk(bytes.to_vec())),
    }
}

/// True when every character of `text` (after substitution) is printable
/// as text.
pub fn is_encodable(text: &str) -> bool {
    substitute_str(text)
        .chars()
        .all(|c| encode_char(c) != CharCode::Unencodable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_is_two_bytes_ascii_one() {
        assert_eq!(encode("A中"), vec![Segment::Gbk(vec![b'A', 0xD6, 0xD0])]);
        assert_eq!(
            encode("法律"),
            vec![Segment::Gbk(vec![0xB7, 0xA8, 0xC2, 0xC9])]
        );
    }

    #[test]
    fn yen_is_substituted_by_fullwidth_yen() {
        assert_eq!(encode("¥5"), vec![Segment::Gbk(vec![0xA3, 0xA4, b'5'])]);
        assert_eq!(encode("￥"), vec![Segment::Gbk(vec![0xA3, 0xA4])]);
    }

    #[test]
    fn euro_is_a2e3_not_80() {
        assert_eq!(encode("€"), vec![Segment::Gbk(vec![0xA2, 0xE3])]);
    }

    #[test]
    fn other_substitutes() {
        assert_eq!(encode("a\u{A0}b"), vec![Segment::Gbk(b"a b".to_vec())]);
        assert_eq!(encode("©"), vec![Segment::Gbk(b"(C)".to_vec())]);
        assert_eq!(
            encode("a\u{200B}b\u{FEFF}"),
            vec![Segment::Gbk(b"ab".to_vec())]
        );
        assert_eq!(encode("•"), vec![Segment::Gbk(vec![0xA1, 0xA4])]);
    }

    #[test]
    fn four_byte_chars_are_unencodable_and_grouped() {
        assert_eq!(
            encode("吉𠮷😀x"),
            vec![
                Segment::Gbk(vec![0xBC, 0xAA]),
                Segment::Unencodable("𠮷😀".into()),
                Segment::Gbk(vec![b'x']),
            ]
        );
        assert_eq!(encode_char('\u{E000}'), CharCode::Unencodable);
        assert_eq!(encode_char('\u{FE10}'), CharCode::Unencodable);
        assert_eq!(encode_char('ñ'), CharCode::Unencodable);
        assert!(!is_encodable("𠮷"));
        assert!(is_encodable("¥ 中文 abc"));
    }

    #[test]
    fn gbk_pinyin_and_symbols_are_double() {
        assert_eq!(encode_char('é'), CharCode::Double([0xA8, 0xA6]));
        assert_eq!(encode_char('，'), CharCode::Double([0xA3, 0xAC]));
        assert_eq!(encode_char('—'), CharCode::Double([0xA1, 0xAA]));
    }
}
