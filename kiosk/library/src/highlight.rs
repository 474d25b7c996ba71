//! Turning match positions back into marked-up text for the screen: the
//! title with its matches highlighted, and a short snippet of the body
//! around the first match.

use std::ops::Range;

use crate::text::cells;

/// A piece of displayed text, highlighted where it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text.
    pub text: String,
    /// Whether it is part of a match.
    pub highlight: bool,
}

/// Characters a snippet shows (the body's line permitting).
pub(crate) const SNIPPET_CHARS: usize = 40;
/// Characters of context before the first match in a snippet.
const LEAD_CHARS: usize = 10;

/// The byte ranges of the cells `[pos, pos + len)` for each match.
/// `matches` need not be sorted; the result is sorted and merged.
pub(crate) fn cell_ranges(text: &str, matches: &[(u32, u32)]) -> Vec<Range<usize>> {
    let Some(last) = matches.iter().map(|&(p, l)| p.saturating_add(l)).max() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for cell in cells(text).take_while(|c| c.pos < last) {
        if matches.iter().any(|&(p, l)| cell.pos >= p && cell.pos < p.saturating_add(l)) {
            out.push(cell.range);
        }
    }
    merge(out)
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
/// cut, and every range of `ranges` inside it highlighted.
pub(crate) fn snippet(body: &str, first: Range<usize>, ranges: &[Range<usize>]) -> Vec<Span> {
    let line_start = body[..first.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = body[first.end..].find('\n').map_or(body.len(), |i| first.end + i);
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
        spans
            .iter()
            .map(|s| if s.highlight { format!("[{}]", s.text) } else { s.text.clone() })
            .collect()
    }

    #[test]
    fn matched_cells_are_highlighted() {
        let title = "协议离婚要走哪些步骤";
        let ranges = cell_ranges(title, &[(2, 2)]);
        assert_eq!(render(&spans(title, 0..title.len(), &ranges)), "协议[离婚]要走哪些步骤");
    }

    #[test]
    fn overlapping_matches_merge_into_one_highlight() {
        let t = "离婚离婚";
        let ranges = cell_ranges(t, &[(0, 2), (1, 2), (2, 2)]);
        assert_eq!(render(&spans(t, 0..t.len(), &ranges)), "[离婚离婚]");
    }

    #[test]
    fn snippet_keeps_context_within_the_matching_line() {
        let body = "第一行。\n".to_string() + &"甲".repeat(30) + "离婚" + &"乙".repeat(50) + "\n末行";
        let start = body.find("离婚").unwrap();
        let first = start..start + "离婚".len();
        let s = snippet(&body, first.clone(), &[first]);
        let text = render(&s);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains(&format!("{}[离婚]", "甲".repeat(10))), "{text}");
        assert_eq!(text.chars().filter(|&c| c != '…' && c != '[' && c != ']').count(), SNIPPET_CHARS);
        assert!(!text.contains('第') && !text.contains('末'));
    }
}
