//! Marking up a hit for the screen: finding where the query matches in the
//! hit's title and body (the index says which articles match, not where in
//! the text, so the few shown are re-matched here with the same cell
//! matchers), then the title with its matches highlighted and a short
//! snippet of the body around the first match.

use std::ops::Range;

use crate::query::CellMatch;
use crate::readings::readings;
use crate::text::{Cell, CellKind, cells};

/// A piece of displayed text, highlighted where it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text.
    pub text: String,
    /// Whether it is part of a match.
    pub highlight: bool,
}

impl Span {
    /// Writes spans as text with each match in brackets, e.g.
    /// `协议[离婚]要走哪些步骤`: for logs, tests and benchmarks, where colour
    /// is not available.
    pub fn bracketed(spans: &[Span]) -> String {
        spans
            .iter()
            .map(|s| {
                if s.highlight {
                    format!("[{}]", s.text)
                } else {
                    s.text.clone()
                }
            })
            .collect()
    }
}

/// Characters a snippet shows (the body's line permitting).
pub(crate) const SNIPPET_CHARS: usize = 40;
/// Bytes after the first match within which later matches can still
/// appear in its snippet (every character is at most 4 bytes).
pub(crate) const SNIPPET_BYTES: usize = SNIPPET_CHARS * 4;
/// Characters of context before the first match in a snippet.
const LEAD_CHARS: usize = 10;

/// Where any alternative matches in `text`: the byte ranges of the
/// matches (sorted, merged) and of the earliest. Pinyin alternatives are
/// tried only when `pinyin` is set, mirroring what the index searches
/// (titles and keywords, not bodies). With `stop_after`, matches starting
/// more than that many bytes after the first are not looked for: a snippet
/// needs only those near the first.
pub(crate) fn find_matches(
    text: &str,
    alternatives: &[Vec<CellMatch>],
    pinyin: bool,
    stop_after: Option<usize>,
) -> (Vec<Range<usize>>, Option<Range<usize>>) {
    let alts: Vec<&Vec<CellMatch>> = alternatives
        .iter()
        .filter(|alt| pinyin || !alt.iter().any(CellMatch::is_pinyin))
        .collect();
    let longest = alts.iter().map(|a| a.len()).max().unwrap_or(0);
    let mut found: Vec<Range<usize>> = Vec::new();
    if longest == 0 || !alts.iter().any(|alt| might_match(text, alt)) {
        return (found, None);
    }
    let mut source = cells(text);
    let mut buf: Vec<Cell> = Vec::new();
    // Readings, computed only for cells a pinyin matcher looks at.
    let mut readings_of: Vec<Option<Vec<String>>> = Vec::new();
    let mut first: Option<Range<usize>> = None;
    let mut start = 0;
    loop {
        while buf.len() < start + longest {
            match source.next() {
                Some(cell) => {
                    buf.push(cell);
                    readings_of.push(None);
                }
                None => break,
            }
        }
        let Some(head) = buf.get(start) else { break };
        if let (Some(first), Some(limit)) = (&first, stop_after)
            && head.range.start > first.start + limit
        {
            break;
        }
        for alt in &alts {
            let end = start + alt.len();
            if end > buf.len() {
                continue;
            }
            let mut fits = true;
            for (i, m) in alt.iter().enumerate() {
                let cell = &buf[start + i];
                if cell.pos != buf[start].pos + i as u32 {
                    fits = false;
                    break;
                }
                let rs: &[String] = if m.is_pinyin() {
                    if readings_of[start + i].is_none() {
                        readings_of[start + i] = Some(match cell.kind {
                            CellKind::Han(c) => readings(c),
                            CellKind::Word(_) => Vec::new(),
                        });
                    }
                    readings_of[start + i].as_deref().unwrap_or_default()
                } else {
                    &[]
                };
                if !m.accepts(&cell.kind, rs) {
                    fits = false;
                    break;
                }
            }
            if fits {
                let range = buf[start].range.start..buf[end - 1].range.end;
                if first.is_none() {
                    first = Some(range.clone());
                }
                found.push(range);
            }
        }
        start += 1;
    }
    (merge(found), first)
}

/// A cheap test that rules out most texts without cutting them into
/// cells: the first cell's character, or word, must occur somewhere.
fn might_match(text: &str, alt: &[CellMatch]) -> bool {
    match alt.first() {
        Some(CellMatch::Han(c)) => text.contains(*c),
        Some(CellMatch::Word(w) | CellMatch::WordPrefix(w)) => {
            let (hay, needle) = (text.as_bytes(), w.as_bytes());
            !w.is_ascii()
                || hay.windows(needle.len()).any(|win| win.eq_ignore_ascii_case(needle))
                // Full-width letters and digits normalise to ASCII.
                || text.chars().any(|c| matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}'))
        }
        _ => true,
    }
}

/// Sorts and merges ranges that touch or overlap.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(prev) if r.start <= prev.end => prev.end = prev.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Splits `text[window]` into spans, highlighting `ranges` (clipped).
pub(crate) fn spans(text: &str, window: Range<usize>, ranges: &[Range<usize>]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = window.start;
    let push = |out: &mut Vec<Span>, r: Range<usize>, highlight: bool| {
        if r.start < r.end {
            out.push(Span {
                text: text[r].to_string(),
                highlight,
            });
        }
    };
    for r in ranges {
        let start = r.start.clamp(window.start, window.end);
        let end = r.end.clamp(window.start, window.end);
        if start >= end || start < at {
            continue;
        }
        push(&mut out, at..start, false);
        push(&mut out, start..end, true);
        at = end;
    }
    push(&mut out, at..window.end, false);
    out
}

/// About [`SNIPPET_CHARS`] characters of `body` around `first` (a byte
/// range), within the line (block) that holds it, with `…` where text was
/// cut, and every range of `ranges` inside it highlighted. The cut never
/// falls inside a range: a later match that does not fit is left out, so
/// each highlight shown is a whole match.
pub(crate) fn snippet(body: &str, first: Range<usize>, ranges: &[Range<usize>]) -> Vec<Span> {
    let line_start = body[..first.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = body[first.end..]
        .find('\n')
        .map_or(body.len(), |i| first.end + i);
    let lead: Vec<usize> = body[line_start..first.start]
        .char_indices()
        .map(|(i, _)| line_start + i)
        .collect();
    let start = lead
        .len()
        .checked_sub(LEAD_CHARS)
        .map_or(line_start, |skip| lead[skip]);
    let used = body[start..first.end].chars().count();
    let end = body[first.end..line_end]
        .char_indices()
        .nth(SNIPPET_CHARS.saturating_sub(used))
        .map_or(line_end, |(i, _)| first.end + i);
    // A match the cut would halve is left out whole (a highlighted 法律 of
    // 法律援助 reads as a match of 法律); the one shown first is kept whole.
    let end = match ranges.iter().find(|r| r.start < end && end < r.end) {
        Some(r) if r.start > first.start => r.start,
        Some(r) => r.end.min(line_end),
        None => end,
    };
    let mut out = Vec::new();
    if start > line_start {
        out.push(Span {
            text: "…".into(),
            highlight: false,
        });
    }
    out.extend(spans(body, start..end, ranges));
    if end < line_end {
        out.push(Span {
            text: "…".into(),
            highlight: false,
        });
    }
    out
}

/// The first [`SNIPPET_CHARS`] characters of `text`, plain.
pub(crate) fn plain_prefix(text: &str) -> Vec<Span> {
    let cut = text
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let mut out = vec![Span {
        text: text[..cut].to_string(),
        highlight: false,
    }];
    if cut < text.len() {
        out.push(Span {
            text: "…".into(),
            highlight: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(spans: &[Span]) -> String {
        Span::bracketed(spans)
    }

    fn han(s: &str) -> Vec<CellMatch> {
        s.chars().map(CellMatch::Han).collect()
    }

    #[test]
    fn matched_cells_are_highlighted() {
        let title = "协议离婚要走哪些步骤";
        let (ranges, first) = find_matches(title, &[han("离婚")], false, None);
        assert_eq!(
            render(&spans(title, 0..title.len(), &ranges)),
            "协议[离婚]要走哪些步骤"
        );
        assert_eq!(first, Some(6..12));
    }

    #[test]
    fn overlapping_matches_merge_into_one_highlight() {
        let t = "离婚婚离婚";
        let (ranges, _) = find_matches(t, &[han("离婚"), han("婚婚")], false, None);
        assert_eq!(render(&spans(t, 0..t.len(), &ranges)), "[离婚婚离婚]");
    }

    #[test]
    fn pinyin_is_matched_only_when_asked() {
        let t = "婚姻登记";
        let alt = vec![vec![
            CellMatch::Initial("h".into()),
            CellMatch::Initial("y".into()),
        ]];
        assert_eq!(find_matches(t, &alt, true, None).0, vec![0..6]);
        assert!(find_matches(t, &alt, false, None).0.is_empty());
    }

    #[test]
    fn matches_do_not_span_punctuation() {
        let (ranges, _) = find_matches("离，婚", &[han("离婚")], false, None);
        assert!(ranges.is_empty());
    }

    #[test]
    fn snippet_never_cuts_a_match_in_half() {
        // The second 法律援助 would straddle the 40th character.
        let body = "法律援助".to_string() + &"甲".repeat(34) + "法律援助机构";
        let (ranges, first) = find_matches(&body, &[han("法律援助")], false, Some(SNIPPET_BYTES));
        let text = render(&snippet(&body, first.unwrap(), &ranges));
        assert_eq!(text, format!("[法律援助]{}…", "甲".repeat(34)));
        // Overlapping matches merged past the window are shown whole.
        let body = "婚".repeat(45) + "乙";
        let (ranges, first) = find_matches(&body, &[han("婚婚")], false, Some(SNIPPET_BYTES));
        let text = render(&snippet(&body, first.unwrap(), &ranges));
        assert!(
            text.starts_with(&format!("[{}]", "婚".repeat(45))),
            "{text}"
        );
    }

    #[test]
    fn snippet_keeps_context_within_the_matching_line() {
        let body =
            "第一行。\n".to_string() + &"甲".repeat(30) + "离婚" + &"乙".repeat(50) + "\n末行";
        let start = body.find("离婚").unwrap();
        let first = start..start + "离婚".len();
        let s = snippet(&body, first.clone(), &[first]);
        let text = render(&s);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(
            text.contains(&format!("{}[离婚]", "甲".repeat(10))),
            "{text}"
        );
        assert_eq!(
            text.chars()
                .filter(|&c| c != '…' && c != '[' && c != ']')
                .count(),
            SNIPPET_CHARS
        );
        assert!(!text.contains('第') && !text.contains('末'));
    }
}
