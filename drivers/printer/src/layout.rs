//! Fitting a receipt to a printer's columns.
//!
//! Used by the ESC/POS renderer and by the terminal's on-screen preview, so
//! that what the screen shows is what the paper gets, line for line.
//!
//! Widths are the printer's, not a terminal's: the resident font prints a
//! single byte in a 12x24 cell (1 column) and every two-byte GBK code in a
//! 24x24 cell (2 columns). So `，`, `“`, `é` or `α`, all two-byte GBK, are 2
//! columns wide even though Unicode calls some of them narrow. Characters the
//! printer cannot print (drawn as an image, see [`crate::gbk`]) take their
//! Unicode East Asian width. Substitutions (`¥` -> `￥`, ...) are applied
//! first, so widths are those of what is printed.
//!
//! Wrapping never splits a character, breaks Latin text at spaces when it
//! can (hard-breaking a word longer than the line), breaks between CJK
//! characters anywhere, and keeps closing punctuation (`，。、；：？！）」』》`
//! ...) off the start of a line and opening brackets off the end.

use unicode_width::UnicodeWidthChar;

use crate::document::{Align, Block, Receipt, Size, Style};
use crate::gbk::{self, CharCode};
use crate::profile::Profile;

/// Columns one character takes on the printer (0 for controls and zero-width
/// characters).
pub fn char_width(c: char) -> usize {
    if let Some(s) = gbk::substitute(c) {
        return s.chars().map(char_width).sum();
    }
    if c.is_control() {
        return 0;
    }
    match gbk::encode_char(c) {
        CharCode::Single(_) => 1,
        CharCode::Double(_) => 2,
        CharCode::Unencodable => c.width().unwrap_or(0),
    }
}

/// Columns `s` takes on the printer.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// One laid-out line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// One printed line of text (already wrapped: fits the columns of its
    /// size).
    Text {
        text: String,
        style: Style,
    },
    Qr {
        payload: String,
    },
    Barcode {
        data: String,
    },
    Feed(u8),
    Cut,
}

const CLOSING: &str = "，。、；：？！）」』》】〕〉’”…‥·％,.;:?!)]}%";
const OPENING: &str = "（「『《【〔〈‘“([{";

fn is_closing(c: char) -> bool {
    CLOSING.contains(c)
}

fn is_opening(c: char) -> bool {
    OPENING.contains(c)
}

/// May a line break before `chars[i]` (i > 0)?
fn can_break_before(chars: &[(char, usize)], i: usize) -> bool {
    let (a, b) = (chars[i - 1].0, chars[i].0);
    if is_closing(b) || is_opening(a) || b == ' ' {
        return false;
    }
    if a == ' ' {
        return true;
    }
    // After a hyphen inside a word ("e-mail", "2024-05-01").
    if a == '-' && i >= 2 && chars[i - 2].0.is_alphanumeric() && b.is_alphanumeric() {
        return true;
    }
    chars[i - 1].1 >= 2 || chars[i].1 >= 2
}

/// Wrap `text` into lines of at most `columns` display columns (see the
/// module docs). `\n` starts a new line; an empty paragraph is an empty
/// line, so `wrap("", n)` is one empty line. Spaces at a break are dropped.
/// A single character wider than `columns` gets a line of its own.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        wrap_paragraph(para, columns, &mut lines);
    }
    lines
}

fn wrap_paragraph(text: &str, columns: usize, out: &mut Vec<String>) {
    let chars: Vec<(char, usize)> = text.chars().map(|c| (c, char_width(c))).collect();
    if chars.is_empty() {
        out.push(String::new());
        return;
    }
    let emit = |out: &mut Vec<String>, part: &[(char, usize)]| {
        let s: String = part.iter().map(|&(c, _)| c).collect();
        out.push(s.trim_end_matches(' ').to_owned());
    };
    let mut start = 0;
    while start < chars.len() {
        let mut width = 0;
        let mut i = start;
        let mut last_break = None;
        while i < chars.len() {
            if i > start && can_break_before(&chars, i) {
                last_break = Some(i);
            }
            let w = chars[i].1;
            if width + w > columns && i > start {
                break;
            }
            width += w;
            i += 1;
        }
        if i >= chars.len() {
            emit(out, &chars[start..]);
            break;
        }
        let brk = if chars[i].0 == ' ' {
            i
        } else if let Some(b) = last_break.filter(|&b| b > start) {
            b
        } else {
            // Hard break: carry characters down rather than start the next
            // line with closing punctuation, while something stays behind.
            let mut b = i;
            while b > start + 1 && is_closing(chars[b].0) {
                b -= 1;
            }
            b
        };
        emit(out, &chars[start..brk]);
        start = brk;
        while start < chars.len() && chars[start].0 == ' ' {
            start += 1;
        }
    }
}

/// Receipt text as the printer gets it: substitutions applied, tabs made
/// spaces, other control characters (which would be commands to the
/// printer) removed; `\n` kept when `keep_newlines`.
pub fn sanitize(text: &str, keep_newlines: bool) -> String {
    gbk::substitute_str(text)
        .chars()
        .filter_map(|c| match c {
            '\n' if keep_newlines => Some('\n'),
            '\t' | '\n' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Columns available to text of `size` on `profile`.
pub fn columns_for(profile: &Profile, size: Size) -> usize {
    let (w, _) = size.multipliers();
    (usize::from(profile.ascii_columns) / usize::from(w)).max(1)
}

/// Indent of a key-value's value when it goes below the key.
pub const VALUE_INDENT: usize = 2;

/// Lay `receipt` out for `profile`: text wrapped to the columns of its size
/// (double width halves them), titles centred bold double, separators a
/// full-width line of `-`, key-values resolved into lines.
pub fn layout(receipt: &Receipt, profile: &Profile) -> Vec<Line> {
    let mut lines = Vec::new();
    for block in &receipt.blocks {
        match block {
            Block::Title(t) => push_text(&mut lines, profile, t, Style::TITLE),
            Block::Text { text, style } => push_text(&mut lines, profile, text, *style),
            Block::KeyValue { key, value } => push_key_value(&mut lines, profile, key, value),
            Block::Separator => lines.push(Line::Text {
                text: "-".repeat(usize::from(profile.ascii_columns)),
                style: Style::default(),
            }),
            Block::Qr { payload } => lines.push(Line::Qr {
                payload: payload.clone(),
            }),
            Block::Barcode { data } => lines.push(Line::Barcode { data: data.clone() }),
            Block::Feed(0) => {}
            Block::Feed(n) => lines.push(Line::Feed(*n)),
            Block::Cut => lines.push(Line::Cut),
        }
    }
    lines
}

fn push_text(lines: &mut Vec<Line>, profile: &Profile, text: &str, style: Style) {
    let text = sanitize(text, true);
    for mut line in wrap(&text, columns_for(profile, style.size)) {
        if !style.underline || style.align != Align::Left {
            line.truncate(line.trim_end_matches(' ').len());
        }
        lines.push(Line::Text { text: line, style });
    }
}

fn push_key_value(lines: &mut Vec<Line>, profile: &Profile, key: &str, value: &str) {
    let columns = usize::from(profile.ascii_columns);
    let key = sanitize(key, false);
    let key = key.trim();
    let value = sanitize(value, false);
    let value = value.trim();
    let plain = |text: String| Line::Text {
        text,
        style: Style::default(),
    };
    let (kw, vw) = (display_width(key), display_width(value));
    if value.is_empty() {
        lines.extend(wrap(key, columns).into_iter().map(plain));
    } else if kw + 1 + vw <= columns {
        let gap = if key.is_empty() {
            columns - vw
        } else {
            columns - kw - vw
        };
        lines.push(plain(format!("{key}{}{value}", " ".repeat(gap))));
    } else {
        if !key.is_empty() {
            lines.extend(wrap(key, columns).into_iter().map(plain));
        }
        let indent = if columns > VALUE_INDENT + 2 {
            VALUE_INDENT
        } else {
            0
        };
        for v in wrap(value, columns - indent) {
            lines.push(plain(format!("{}{v}", " ".repeat(indent))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(lines: &[String]) -> Vec<usize> {
        lines.iter().map(|l| display_width(l)).collect()
    }

    #[test]
    fn widths_are_the_printers() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("中文"), 4);
        assert_eq!(display_width("，"), 2);
        assert_eq!(display_width("é"), 2); // GBK pinyin: a 24x24 glyph
        assert_eq!(display_width("¥"), 2); // printed as ￥
        assert_eq!(display_width("𠮷"), 2);
        assert_eq!(display_width("ñ"), 1);
        assert_eq!(display_width("a\u{200B}"), 1);
    }

    #[test]
    fn wrap_at_32_48_42_never_splits_cjk_and_counts_two() {
        let text = "公共法律服务一体机为群众提供法律咨询、法律援助申请、公证预约等服务。";
        for cols in [32usize, 48, 42, 21, 16, 7] {
            let lines = wrap(text, cols);
            assert_eq!(lines.concat(), text, "cols {cols}");
            for w in widths(&lines) {
                assert!(w <= cols, "{lines:?} at {cols}");
            }
            // Every full line is as full as CJK allows (odd column counts
            // leave one column empty).
            for l in &lines[..lines.len() - 1] {
                assert!(display_width(l) >= cols - 3, "{lines:?} at {cols}");
            }
        }
        let lines = wrap("一二三四五六七八九十", 7);
        assert_eq!(lines, ["一二三", "四五六", "七八九", "十"]);
    }

    #[test]
    fn wrap_breaks_latin_at_spaces() {
        assert_eq!(
            wrap("the quick brown fox jumps", 10),
            ["the quick", "brown fox", "jumps"]
        );
        assert_eq!(wrap("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
        assert_eq!(wrap("mixed 中文text", 9), ["mixed 中", "文text"]);
        assert_eq!(wrap("a\n\nb", 5), ["a", "", "b"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("2024-05-01", 8), ["2024-05-", "01"]);
    }

    #[test]
    fn wrap_keeps_closing_punctuation_off_line_start() {
        // "一二三，" is 8 columns; at 6 columns the comma would start line 2.
        assert_eq!(wrap("一二三，四五", 6), ["一二", "三，四", "五"]);
        assert_eq!(wrap("一二三。」四", 6), ["一二", "三。」", "四"]);
        assert_eq!(wrap("《一二》", 4), ["《一", "二》"]);
    }

    #[test]
    fn wrap_a_char_wider_than_the_line_alone() {
        assert_eq!(wrap("中a", 1), ["中", "a"]);
    }

    #[test]
    fn layout_titles_separators_and_key_values() {
        let r = Receipt::new()
            .title("法律援助申请回执")
            .separator()
            .key_value("姓名", "张三")
            .key_value("受理编号", "FY-2024-000123456789-ABCDEF")
            .text("a\tb\x1bc")
            .feed(0)
            .feed(2)
            .cut();
        let lines = layout(&r, &Profile::GENERIC_58);
        let text = |t: &str| Line::Text {
            text: t.into(),
            style: Style::default(),
        };
        assert_eq!(
            lines,
            vec![
                Line::Text {
                    text: "法律援助申请回执".into(),
                    style: Style::TITLE
                },
                text(&"-".repeat(32)),
                text(&format!("姓名{}张三", " ".repeat(24))),
                text("受理编号"),
                text("  FY-2024-000123456789-ABCDEF"),
                text("a bc"),
                Line::Feed(2),
                Line::Cut,
            ]
        );
        // Double width halves the columns: 16 on 58 mm = 8 CJK characters.
        let r = Receipt::new().title("一二三四五六七八九十");
        let lines = layout(&r, &Profile::GENERIC_58);
        assert_eq!(lines.len(), 2);
    }
}
