//! Parsing one content file: TOML front matter between `+++` lines, then a
//! Markdown subset body.
//!
//! [`parse_article`] is a pure function of the file's text (the path only
//! names the file in errors), so it can be fuzzed and tested without a file
//! system. It checks everything that one file can get wrong on its own and
//! reports all such problems at once; checks that need the rest of the
//! library (known categories, unique ids, existing statute articles) are in
//! [`crate::Library::load`].

use std::collections::HashSet;
use std::path::Path;

use toml::Value;

use crate::article::{ArticleDraft, Block, Date, Service};
use crate::citation::Citation;
use crate::error::{ContentError, ContentProblem, Problem};

/// The front-matter fields, all required.
const FIELDS: [&str; 8] = [
    "id", "title", "category", "keywords", "summary", "sources", "services", "updated",
];

/// The longest title that fits the article screen's heading.
pub const MAX_TITLE_CHARS: usize = 20;
/// Keyword count bounds from the content README.
pub const KEYWORDS: std::ops::RangeInclusive<usize> = 3..=8;

/// Parses and checks one article file. `path` is used only to name the file
/// in the error; every problem found in the text is reported, not just the
/// first.
pub fn parse_article(path: &Path, text: &str) -> Result<ArticleDraft, ContentError> {
    let mut problems = Vec::new();
    let draft = parse(text, &mut problems);
    match draft {
        Some(draft) if problems.is_empty() => Ok(draft),
        _ => Err(ContentError {
            problems: problems
                .into_iter()
                .map(|problem| ContentProblem {
                    path: path.to_path_buf(),
                    problem,
                })
                .collect(),
        }),
    }
}

fn parse(text: &str, problems: &mut Vec<Problem>) -> Option<ArticleDraft> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, body, body_line) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let table: toml::Table = match toml::from_str(front) {
        Ok(table) => table,
        Err(e) => {
            let line = e.span().map_or(0, |span| {
                let before = &front.as_bytes()[..span.start.min(front.len())];
                before.iter().filter(|&&b| b == b'\n').count()
            }) + 2;
            problems.push(Problem::Toml {
                line,
                message: e.message().trim().to_string(),
            });
            return None;
        }
    };
    for key in table.keys() {
        if !FIELDS.contains(&key.as_str()) {
            problems.push(Problem::UnknownField(key.clone()));
        }
    }
    let mut fields = Fields {
        table: &table,
        problems,
    };
    let id = fields.string("id");
    let title = fields.string("title");
    let category = fields.string("category");
    let keywords = fields.string_list("keywords");
    let summary = fields.string("summary");
    let source_texts = fields.string_list("sources");
    let service_names = fields.string_list("services");
    let updated = fields.date("updated");

    if let Some(id) = &id {
        check_id(id, category.as_deref(), problems);
    }
    if let Some(title) = &title {
        let chars = title.chars().filter(|c| !c.is_whitespace()).count();
        if chars > MAX_TITLE_CHARS {
            problems.push(Problem::BadValue {
                field: "title",
                reason: format!(
                    "has {chars} characters; at most {MAX_TITLE_CHARS} fit on the screen"
                ),
            });
        }
    }
    if let Some(keywords) = &keywords
        && !KEYWORDS.contains(&keywords.len())
    {
        problems.push(Problem::BadValue {
            field: "keywords",
            reason: format!(
                "has {} keywords; write {} to {}",
                keywords.len(),
                KEYWORDS.start(),
                KEYWORDS.end()
            ),
        });
    }
    let sources = source_texts.map(|texts| {
        texts
            .iter()
            .filter_map(|t| match Citation::parse(t) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(Problem::BadSource(e));
                    None
                }
            })
            .collect::<Vec<_>>()
    });
    let services = service_names.map(|names| {
        names
            .iter()
            .filter_map(|n| {
                let service = Service::parse(n);
                if service.is_none() {
                    problems.push(Problem::UnknownService(n.clone()));
                }
                service
            })
            .collect::<Vec<_>>()
    });

    let (blocks, inline) = parse_body(body, body_line, problems);
    if body.trim().is_empty() {
        problems.push(Problem::EmptyBody);
    }
    if let Some(sources) = &sources {
        let listed: HashSet<&Citation> = sources.iter().collect();
        for (line, citation) in inline {
            if !listed.contains(&citation) {
                problems.push(Problem::InlineCitationNotInSources {
                    line,
                    citation: citation.to_string(),
                });
            }
        }
    }

    Some(ArticleDraft {
        id: id?,
        title: title?,
        category: category?,
        keywords: keywords?,
        summary: summary?,
        sources: sources?,
        services: services?,
        updated: updated?,
        body: blocks,
    })
}

/// Splits off the front matter. Returns (front matter, body, line number of
/// the body's first line).
fn split_front_matter(text: &str) -> Result<(&str, &str, usize), Problem> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "+++" {
        return Err(Problem::MissingFrontMatter);
    }
    let front_start = (first_end + 1).min(text.len());
    let mut offset = front_start;
    for (line_no, line) in (2..).zip(text[front_start..].split_inclusive('\n')) {
        if line.trim_end() == "+++" {
            let body_start = offset + line.len();
            return Ok((&text[front_start..offset], &text[body_start..], line_no + 1));
        }
        offset += line.len();
    }
    Err(Problem::UnterminatedFrontMatter)
}

/// Typed access to front-matter fields, recording what is missing or wrong.
struct Fields<'a, 'p> {
    table: &'a toml::Table,
    problems: &'p mut Vec<Problem>,
}

impl Fields<'_, '_> {
    fn get(&mut self, field: &'static str) -> Option<&Value> {
        let value = self.table.get(field);
        if value.is_none() {
            self.problems.push(Problem::MissingField(field));
        }
        value
    }

    fn wrong(&mut self, field: &'static str, expected: &'static str) {
        self.problems.push(Problem::WrongType { field, expected });
    }

    fn string(&mut self, field: &'static str) -> Option<String> {
        match self.get(field)? {
            Value::String(s) if s.trim().is_empty() => {
                self.problems.push(Problem::BadValue {
                    field,
                    reason: "must not be empty".into(),
                });
                None
            }
            Value::String(s) => Some(s.trim().to_string()),
            _ => {
                self.wrong(field, "a string in quotes");
                None
            }
        }
    }

    fn string_list(&mut self, field: &'static str) -> Option<Vec<String>> {
        let items = match self.get(field)? {
            Value::Array(items) => items.clone(),
            _ => {
                self.wrong(field, "a list of strings, e.g. [\"a\", \"b\"]");
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                Value::String(_) => {
                    self.problems.push(Problem::BadValue {
                        field,
                        reason: "has an empty entry".into(),
                    });
                    return None;
                }
                _ => {
                    self.wrong(field, "a list of strings, e.g. [\"a\", \"b\"]");
                    return None;
                }
            }
        }
        Some(out)
    }

    fn date(&mut self, field: &'static str) -> Option<Date> {
        const EXPECTED: &str = "a date without quotes or time, e.g. updated = 2026-11-27";
        match self.get(field)? {
            Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
                dt.date.map(|d| Date {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                })
            }
            _ => {
                self.wrong(field, EXPECTED);
                None
            }
        }
    }
}

/// Checks the id's shape and that its first word is the category's.
fn check_id(id: &str, category: Option<&str>, problems: &mut Vec<Problem>) {
    let well_formed = !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !well_formed {
        problems.push(Problem::BadValue {
            field: "id",
            reason: format!(
                "`{id}` must be lowercase ASCII words joined by `-`, e.g. marriage-divorce-registration"
            ),
        });
        return;
    }
    if let Some(category) = category {
        let prefix = category.split('-').next().unwrap_or(category);
        if id.split('-').next() != Some(prefix) {
            problems.push(Problem::BadValue {
                field: "id",
                reason: format!(
                    "`{id}` must start with `{prefix}-`, the first word of its category `{category}`"
                ),
            });
        }
    }
}

/// A block being assembled from soft-wrapped lines.
enum Open {
    Paragraph(String),
    Bullet(String),
    Numbered(u32, String),
}

/// Parses the body into blocks and collects inline citations with the line
/// of the block they are in.
fn parse_body(
    body: &str,
    first_line: usize,
    problems: &mut Vec<Problem>,
) -> (Vec<Block>, Vec<(usize, Citation)>) {
    let mut blocks = Vec::new();
    let mut citations = Vec::new();
    let mut open: Option<(usize, Open)> = None;

    let close = |open: &mut Option<(usize, Open)>,
                 blocks: &mut Vec<Block>,
                 citations: &mut Vec<(usize, Citation)>,
                 problems: &mut Vec<Problem>| {
        if let Some((line, block)) = open.take() {
            let block = match block {
                Open::Paragraph(t) => Block::Paragraph(t),
                Open::Bullet(t) => Block::Bullet(t),
                Open::Numbered(n, t) => Block::Numbered(n, t),
            };
            scan_citations(block.text(), line, citations, problems);
            blocks.push(block);
        }
    };

    for (index, raw) in body.lines().enumerate() {
        let line_no = first_line + index;
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            close(&mut open, &mut blocks, &mut citations, problems);
            continue;
        }
        if let Some(what) = unsupported(line) {
            problems.push(Problem::UnsupportedMarkup {
                line: line_no,
                what,
            });
            close(&mut open, &mut blocks, &mut citations, problems);
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            close(&mut open, &mut blocks, &mut citations, problems);
            let heading = heading.trim();
            if heading.is_empty() {
                problems.push(Problem::UnsupportedMarkup {
                    line: line_no,
                    what: "an empty heading",
                });
            } else {
                scan_citations(heading, line_no, &mut citations, problems);
                blocks.push(Block::Heading(heading.to_string()));
            }
            continue;
        }
        if let Some(text) = line.strip_prefix("- ") {
            close(&mut open, &mut blocks, &mut citations, problems);
            open = Some((line_no, Open::Bullet(text.trim().to_string())));
            continue;
        }
        if let Some((n, text)) = numbered(line) {
            close(&mut open, &mut blocks, &mut citations, problems);
            open = Some((line_no, Open::Numbered(n, text.trim().to_string())));
            continue;
        }
        match &mut open {
            Some((_, Open::Paragraph(t) | Open::Bullet(t) | Open::Numbered(_, t))) => {
                join_soft_wrap(t, trimmed)
            }
            None => open = Some((line_no, Open::Paragraph(trimmed.to_string()))),
        }
    }
    close(&mut open, &mut blocks, &mut citations, problems);
    (blocks, citations)
}

/// Joins a soft-wrapped line: Chinese runs on without a space; a space is
/// kept only between two Latin letters or digits.
fn join_soft_wrap(text: &mut String, next: &str) {
    let ends_alnum = text
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let starts_alnum = next
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if ends_alnum && starts_alnum {
        text.push(' ');
    }
    text.push_str(next);
}

/// `12. text` → (12, "text").
fn numbered(line: &str) -> Option<(u32, &str)> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let text = line[digits..].strip_prefix(". ")?;
    Some((line[..digits].parse().ok()?, text))
}

/// Names the Markdown outside the supported subset that a line uses.
fn unsupported(line: &str) -> Option<&'static str> {
    let trimmed = line.trim_start();
    let indented = trimmed.len() != line.len();
    if line.starts_with('#') && !line.starts_with("## ") || line.starts_with("###") {
        return Some("a heading other than `## `");
    }
    if indented && (trimmed.starts_with("- ") || numbered(trimmed).is_some()) {
        return Some("a nested list");
    }
    if trimmed.starts_with('>') {
        return Some("a block quote");
    }
    if trimmed.starts_with('|') {
        return Some("a table");
    }
    if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
        return Some("a code block");
    }
    if trimmed.starts_with("* ") || trimmed.starts_with("+ ") {
        return Some("a bullet marked with `*` or `+` (write `- `)");
    }
    if trimmed.len() >= 3 && trimmed.chars().all(|c| matches!(c, '-' | '*' | '_' | ' ')) {
        return Some("a horizontal rule");
    }
    if trimmed.contains("**") || trimmed.contains("__") {
        return Some("bold text");
    }
    if trimmed.contains('*') {
        return Some("`*` emphasis");
    }
    if trimmed.contains("![") {
        return Some("an image");
    }
    if trimmed.contains("](") {
        return Some("a link");
    }
    if trimmed.contains('`') {
        return Some("inline code");
    }
    let bytes = trimmed.as_bytes();
    if bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
    {
        return Some("HTML");
    }
    None
}

/// Finds `（民法典第1076条）` and `（劳动合同法第10条；劳动合同法第82条）` in
/// a block. A bracketed part that mentions an article but is not a clean
/// citation is reported, so a typo cannot hide a citation from the checks.
fn scan_citations(
    text: &str,
    line: usize,
    out: &mut Vec<(usize, Citation)>,
    problems: &mut Vec<Problem>,
) {
    let mut rest = text;
    while let Some(open) = rest.find(['（', '(']) {
        let after = &rest[open + rest[open..].chars().next().map_or(1, char::len_utf8)..];
        let Some(close) = after.find(['）', ')']) else {
            break;
        };
        for part in after[..close].split(['；', ';']) {
            let part = part.trim();
            if !mentions_article(part) {
                continue;
            }
            match Citation::parse(part) {
                Ok(c) => out.push((line, c)),
                Err(error) => problems.push(Problem::BadInlineCitation { line, error }),
            }
        }
        rest = &after[close..];
    }
}

/// Whether a bracketed part refers to a statute article: `…第<digits>条`,
/// or a law name followed by `第<Chinese numerals>条` (which must be written
/// with Arabic numerals).
fn mentions_article(part: &str) -> bool {
    const LAW_ENDINGS: [&str; 6] = ["法", "典", "条例", "规定", "解释一", "解释二"];
    let Some(at) = part.find('第') else {
        return false;
    };
    let after = &part[at + '第'.len_utf8()..];
    let arabic = after
        .chars()
        .take_while(|c| c.is_ascii_digit() || ('０'..='９').contains(c))
        .count();
    if arabic > 0 {
        return after.chars().nth(arabic) == Some('条');
    }
    let law = &part[..at];
    let chinese = after
        .chars()
        .take_while(|c| "零一二三四五六七八九十百千".contains(*c))
        .count();
    chinese > 0
        && after.chars().nth(chinese) == Some('条')
        && LAW_ENDINGS.iter().any(|e| law.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++
id = \"marriage-divorce-registration\"
title = \"协议离婚要走哪些步骤\"
category = \"marriage-family\"
keywords = [\"离婚\", \"协议离婚\", \"离婚登记\"]
summary = \"双方都同意离婚，可以一起到婚姻登记机关办理。\"
sources = [\"民法典第1076条\", \"民法典第1077条\"]
services = [\"hotline\", \"mediation\"]
updated = 2026-11-27
+++

## 法律怎么说

夫妻双方自愿离婚的，应当签订书面离婚协议
（民法典第1076条）。

1. 先商量好。
2. 带上身份证（民法典第1076条；民法典第1077条）。

- 婚姻登记机关。
";

    fn problems(text: &str) -> Vec<Problem> {
        parse_article(Path::new("x.md"), text)
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| p.problem)
            .collect()
    }

    #[test]
    fn well_formed_file_parses_into_fields_and_blocks() {
        let a = parse_article(Path::new("x.md"), GOOD).unwrap();
        assert_eq!(a.id, "marriage-divorce-registration");
        assert_eq!(a.keywords.len(), 3);
        assert_eq!(a.services, vec![Service::Hotline, Service::Mediation]);
        assert_eq!(a.updated.to_string(), "2026-11-27");
        assert_eq!(
            a.body,
            vec![
                Block::Heading("法律怎么说".into()),
                Block::Paragraph(
                    "夫妻双方自愿离婚的，应当签订书面离婚协议（民法典第1076条）。".into()
                ),
                Block::Numbered(1, "先商量好。".into()),
                Block::Numbered(2, "带上身份证（民法典第1076条；民法典第1077条）。".into()),
                Block::Bullet("婚姻登记机关。".into()),
            ]
        );
    }

    #[test]
    fn windows_line_endings_and_a_byte_order_mark_are_accepted() {
        let text = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        let a = parse_article(Path::new("x.md"), &text).unwrap();
        assert_eq!(a.body.len(), 5);
    }

    #[test]
    fn every_problem_in_a_file_is_reported_at_once() {
        let text = GOOD
            .replace("title = \"协议离婚要走哪些步骤\"\n", "")
            .replace("\"mediation\"", "\"police\"")
            .replace("updated = 2026-11-27", "updated = \"2026-11-27\"");
        let found = problems(&text);
        assert!(found.contains(&Problem::MissingField("title")), "{found:?}");
        assert!(found.contains(&Problem::UnknownService("police".into())));
        assert!(found.iter().any(|p| matches!(
            p,
            Problem::WrongType {
                field: "updated",
                ..
            }
        )));
    }

    #[test]
    fn unterminated_front_matter_is_reported() {
        let text = "+++\nid = \"x\"\n\n## 标题\n";
        assert_eq!(problems(text), vec![Problem::UnterminatedFrontMatter]);
    }

    #[test]
    fn missing_front_matter_is_reported() {
        assert_eq!(problems("## 标题\n正文"), vec![Problem::MissingFrontMatter]);
        assert_eq!(problems(""), vec![Problem::MissingFrontMatter]);
    }

    #[test]
    fn malformed_toml_is_reported_with_its_file_line() {
        let text = GOOD.replace("summary = \"双方", "summary = 双方");
        match problems(&text).as_slice() {
            [Problem::Toml { line, .. }] => assert_eq!(*line, 6),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inline_citation_missing_from_sources_is_reported_with_its_line() {
        let text = GOOD.replace("\"民法典第1077条\"]", "\"民法典第1079条\"]");
        let found = problems(&text);
        assert!(
            found.contains(&Problem::InlineCitationNotInSources {
                line: 18,
                citation: "民法典第1077条".into()
            }),
            "{found:?}"
        );
    }

    #[test]
    fn malformed_inline_citations_are_reported() {
        let text = GOOD.replace(
            "- 婚姻登记机关。",
            "- 婚姻登记机关（民法典第一千零七十六条）（民法典第1076条第二款）。",
        );
        let found = problems(&text);
        assert_eq!(
            found
                .iter()
                .filter(|p| matches!(p, Problem::BadInlineCitation { .. }))
                .count(),
            2,
            "{found:?}"
        );
    }

    #[test]
    fn brackets_without_article_numbers_are_plain_text() {
        let text = GOOD.replace(
            "- 婚姻登记机关。",
            "- 婚姻登记机关（一般在县、旗、区民政局）（以下简称第三人）。",
        );
        assert!(parse_article(Path::new("x.md"), &text).is_ok());
    }

    #[test]
    fn unsupported_markdown_is_reported_per_line() {
        for (snippet, what) in [
            ("### 小标题", "a heading other than `## `"),
            ("**重要**", "bold text"),
            ("[链接](http://x)", "a link"),
            ("| a | b |", "a table"),
            ("<b>粗</b>", "HTML"),
            ("* 项目", "a bullet marked with `*` or `+` (write `- `)"),
            ("  - 子项", "a nested list"),
        ] {
            let text = format!("{GOOD}\n{snippet}\n");
            assert!(
                problems(&text)
                    .iter()
                    .any(|p| matches!(p, Problem::UnsupportedMarkup { what: w, .. } if *w == what)),
                "{snippet}"
            );
        }
    }

    #[test]
    fn empty_body_is_reported() {
        let end = GOOD.find("## 法律").unwrap();
        assert_eq!(problems(&GOOD[..end]), vec![Problem::EmptyBody]);
    }

    #[test]
    fn id_must_be_kebab_case_and_start_with_the_category_word() {
        let text = GOOD.replace("marriage-divorce-registration", "Divorce_Registration");
        assert!(matches!(
            problems(&text).as_slice(),
            [Problem::BadValue { field: "id", .. }]
        ));
        let text = GOOD.replace("marriage-divorce-registration", "divorce-registration");
        assert!(matches!(
            problems(&text).as_slice(),
            [Problem::BadValue { field: "id", .. }]
        ));
    }

    #[test]
    fn title_length_and_keyword_count_are_bounded() {
        let text = GOOD.replace(
            "协议离婚要走哪些步骤",
            "协议离婚要走哪些步骤协议离婚要走哪些步骤协",
        );
        assert!(matches!(
            problems(&text).as_slice(),
            [Problem::BadValue { field: "title", .. }]
        ));
        let text = GOOD.replace("[\"离婚\", \"协议离婚\", \"离婚登记\"]", "[\"离婚\"]");
        assert!(matches!(
            problems(&text).as_slice(),
            [Problem::BadValue {
                field: "keywords",
                ..
            }]
        ));
    }

    #[test]
    fn unknown_fields_are_reported() {
        let text = GOOD.replace("summary =", "summery = \"x\"\nsummary =");
        assert_eq!(
            problems(&text),
            vec![Problem::UnknownField("summery".into())]
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let alphabet: Vec<char> = "+=\"[]\n#-1. （）；第条民法典之一abc*`<>|"
            .chars()
            .collect();
        for _ in 0..2000 {
            let len = (seed % 200) as usize;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = parse_article(Path::new("x.md"), &format!("+++\n{text}"));
            let _ = parse_article(Path::new("x.md"), &text);
        }
    }
}
