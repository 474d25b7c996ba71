//! Chinese numerals as statutes write article numbers.
//!
//! Content cites `民法典第1076条`; the statute file heads that article
//! `第一千零七十六条`. Converting the citation's number to the statute's
//! spelling (rather than parsing every heading into a number) keeps the
//! lookup key exactly what the file says, so a heading the converter would
//! spell differently shows up as an unresolved citation in tests instead of
//! silently matching the wrong article.

const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// Spells `n` the way statutes number articles: `10` → 十, `110` → 一百一十,
/// `1010` → 一千零一十, `10010` → 一万零一十.
pub(crate) fn to_chinese(n: u32) -> String {
    if n == 0 {
        return DIGITS[0].to_string();
    }
    let mut out = String::new();
    let high = n / 10_000;
    let low = n % 10_000;
    if high > 0 {
        out.push_str(&to_chinese(high));
        out.push('万');
        if low == 0 {
            return out;
        }
        if low < 1000 {
            out.push('零');
        }
    }
    push_section(&mut out, low, high > 0);
    out
}

/// Appends 1..=9999. `after_higher` keeps the 一 of 一十 when something was
/// written before (一百一十, 一万零一十), but not at the start (十, 十五).
fn push_section(out: &mut String, n: u32, after_higher: bool) {
    const UNITS: [(u32, Option<char>); 4] = [
        (1000, Some('千')),
        (100, Some('百')),
        (10, Some('十')),
        (1, None),
    ];
    let mut written = after_higher;
    let mut pending_zero = false;
    for (value, unit) in UNITS {
        let digit = (n / value % 10) as usize;
        if digit == 0 {
            pending_zero = out_has_digit(out, written);
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        let omit_one = digit == 1 && value == 10 && !written && out.is_empty();
        if !omit_one {
            out.push(DIGITS[digit]);
        }
        if let Some(unit) = unit {
            out.push(unit);
        }
        written = true;
    }
}

/// A zero is spoken only between two written digits, and only once.
fn out_has_digit(out: &str, written: bool) -> bool {
    written && !out.ends_with('零') && !out.ends_with('万')
}

/// Parses a Chinese numeral of the kind used in article numbers (up to
/// 九千九百九十九 and with 万), e.g. 之一 sub-numbers in citations. Returns
/// `None` for anything else.
pub(crate) fn parse_chinese(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    let mut total: u32 = 0;
    let mut section: u32 = 0;
    let mut digit: Option<u32> = None;
    // Units must fall within a section (千 then 百 then 十), which rejects 十十.
    let mut prev_unit: u32 = 10_000;
    for ch in s.chars() {
        if ch == '零' {
            // A placeholder between digits (一百零一): adds nothing.
            if digit.is_some() {
                return None;
            }
            continue;
        }
        if let Some(d) = DIGITS.iter().position(|&c| c == ch) {
            if digit.is_some() {
                return None; // two digits in a row, like 一二
            }
            digit = Some(d as u32);
            continue;
        }
        let unit = match ch {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => {
                section = section.checked_add(digit.take().unwrap_or(0))?;
                if section == 0 {
                    return None;
                }
                total = total.checked_add(section.checked_mul(10_000)?)?;
                section = 0;
                prev_unit = 10_000;
                continue;
            }
            _ => return None,
        };
        if unit >= prev_unit {
            return None;
        }
        prev_unit = unit;
        let d = match digit.take() {
            Some(0) => return None,
            Some(d) => d,
            None if unit == 10 && section == 0 && total == 0 => 1, // 十五
            None => return None,
        };
        section = section.checked_add(d * unit)?;
    }
    section = section.checked_add(digit.unwrap_or(0))?;
    let value = total.checked_add(section)?;
    (value > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_numbers_the_way_statutes_head_articles() {
        let cases = [
            (1, "一"),
            (9, "九"),
            (10, "十"),
            (11, "十一"),
            (20, "二十"),
            (99, "九十九"),
            (100, "一百"),
            (101, "一百零一"),
            (110, "一百一十"),
            (133, "一百三十三"),
            (260, "二百六十"),
            (1000, "一千"),
            (1001, "一千零一"),
            (1010, "一千零一十"),
            (1076, "一千零七十六"),
            (1100, "一千一百"),
            (1260, "一千二百六十"),
            (10_000, "一万"),
            (10_010, "一万零一十"),
            (12_345, "一万二千三百四十五"),
        ];
        for (n, expected) in cases {
            assert_eq!(to_chinese(n), expected, "{n}");
        }
    }

    #[test]
    fn parsing_inverts_spelling() {
        for n in (1..3000).chain([10_000, 10_010, 12_345, 99_999]) {
            assert_eq!(parse_chinese(&to_chinese(n)), Some(n), "{n}");
        }
    }

    #[test]
    fn parsing_rejects_non_numerals() {
        for s in ["", "零", "二三", "百", "一百零", "abc", "一x", "十十"] {
            if s == "一百零" {
                // A trailing 零 is sloppy but unambiguous; accept it.
                assert_eq!(parse_chinese(s), Some(100));
                continue;
            }
            assert_eq!(parse_chinese(s), None, "{s}");
        }
    }
}
