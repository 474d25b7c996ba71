//! The statute texts under `assets/laws/`, indexed by law short name and
//! article, so content citations can be checked and the terminal can show an
//! article's text.
//!
//! Short names follow the content README: the part of the file name after the
//! field prefix and before the version date (`社会法_劳动合同法(2012-12-28).md`
//! → `劳动合同法`), except that every `民法典_*.md` file is one law `民法典`
//! (its articles are numbered across the books) and four judicial
//! interpretations have agreed abbreviations. A law can be marked superseded:
//! its text stays available for reading, but content may not cite it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::citation::Citation;

/// Abbreviations for titles too long to cite, keyed by the title in the file
/// name (without date).
const ABBREVIATIONS: &[(&str, &str)] = &[
    (
        "最高人民法院关于审理民间借贷案件适用法律若干问题的规定",
        "民间借贷规定",
    ),
    (
        "最高人民法院关于适用《民法典》婚姻家庭编的解释（一）",
        "婚姻家庭编解释一",
    ),
    (
        "最高人民法院关于适用《民法典》婚姻家庭编的解释（二）",
        "婚姻家庭编解释二",
    ),
    (
        "最高人民法院关于适用《民法典》继承编的解释（一）",
        "继承编解释一",
    ),
];

/// Laws whose file is outdated: readable, but not citable by content.
const SUPERSEDED: &[(&str, &str)] = &[(
    "仲裁法",
    "the 2017 text was replaced on 2026-03-01 by a revision with renumbered articles; \
     describe arbitration in plain terms instead of citing it",
)];

/// Why the statute folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum StatuteError {
    /// A file or the folder could not be read.
    #[error("cannot read statutes at {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Two files map to the same short name (for example two versions of one
    /// law), so a citation would be ambiguous.
    #[error("{first} and {second} both have the short name {short_name}; keep one version")]
    DuplicateLaw {
        /// The short name.
        short_name: String,
        /// The file seen first.
        first: PathBuf,
        /// The file seen second.
        second: PathBuf,
    },
    /// One law has the same article heading twice.
    #[error("{path}: {short_name} has article {label} twice")]
    DuplicateArticle {
        /// The law's short name.
        short_name: String,
        /// The heading, e.g. 第十条.
        label: String,
        /// The file with the second occurrence.
        path: PathBuf,
    },
}

/// One law (or regulation, or judicial interpretation).
#[derive(Debug)]
pub struct Law {
    short_name: String,
    title: String,
    files: Vec<PathBuf>,
    superseded: Option<&'static str>,
    /// Article heading (第一千零七十六条, 第一百三十三条之一) → full text.
    articles: HashMap<String, String>,
}

impl Law {
    /// The name content cites it by, e.g. `民法典`.
    pub fn short_name(&self) -> &str {
        &self.short_name
    }

    /// The full title from the file's first heading, e.g.
    /// `中华人民共和国劳动合同法`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The file(s) the law was read from, in name order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Why content may not cite this law, when it may not.
    pub fn superseded(&self) -> Option<&'static str> {
        self.superseded
    }

    /// How many articles the text has.
    pub fn article_count(&self) -> usize {
        self.articles.len()
    }
}

/// Every statute text, by short name.
#[derive(Debug, Default)]
pub struct Statutes {
    laws: BTreeMap<String, Law>,
}

/// Why a citation does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unresolved {
    UnknownLaw,
    Superseded(&'static str),
    NoSuchArticle(String),
}

impl Statutes {
    /// Reads every `*.md` file in `dir` except `README.md`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Statutes, StatuteError> {
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StatuteError::Io { path, source }
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            let is_md = path.extension().is_some_and(|e| e == "md");
            let is_readme = path.file_name().is_some_and(|n| n == "README.md");
            if is_md && !is_readme && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut statutes = Statutes::default();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            statutes.add_file(path, &text)?;
        }
        Ok(statutes)
    }

    fn add_file(&mut self, path: PathBuf, text: &str) -> Result<(), StatuteError> {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let short_name = short_name_for(&stem);
        let spans_files = short_name == "民法典";
        let title = text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| short_name.clone());
        let law = match self.laws.get_mut(&short_name) {
            Some(existing) if !spans_files => {
                return Err(StatuteError::DuplicateLaw {
                    short_name,
                    first: existing.files[0].clone(),
                    second: path,
                });
            }
            Some(existing) => existing,
            None => self.laws.entry(short_name.clone()).or_insert_with(|| Law {
                superseded: SUPERSEDED
                    .iter()
                    .find(|(name, _)| *name == short_name)
                    .map(|(_, why)| *why),
                short_name: short_name.clone(),
                title,
                files: Vec::new(),
                articles: HashMap::new(),
            }),
        };
        for (label, body) in split_articles(text) {
            if law.articles.contains_key(&label) {
                return Err(StatuteError::DuplicateArticle {
                    short_name,
                    label,
                    path,
                });
            }
            law.articles.insert(label, body);
        }
        law.files.push(path);
        Ok(())
    }

    /// The law with this short name.
    pub fn law(&self, short_name: &str) -> Option<&Law> {
        self.laws.get(short_name)
    }

    /// Every law, by short name.
    pub fn laws(&self) -> impl Iterator<Item = &Law> {
        self.laws.values()
    }

    /// The cited article's text as the statute writes it: its heading line
    /// (`第一千零七十六条 夫妻双方…`) and every following paragraph up to the
    /// next article or heading, joined by `\n`. Superseded laws resolve too,
    /// since reading them is allowed; citing them is checked elsewhere.
    pub fn article_text(&self, citation: &Citation) -> Option<&str> {
        self.laws
            .get(&citation.law)?
            .articles
            .get(&citation.article_label())
            .map(String::as_str)
    }

    /// Checks that content may cite this article.
    pub(crate) fn resolve(&self, citation: &Citation) -> Result<(), Unresolved> {
        let law = self.laws.get(&citation.law).ok_or(Unresolved::UnknownLaw)?;
        if let Some(why) = law.superseded {
            return Err(Unresolved::Superseded(why));
        }
        let label = citation.article_label();
        if law.articles.contains_key(&label) {
            Ok(())
        } else {
            Err(Unresolved::NoSuchArticle(label))
        }
    }
}

/// The short name for a file stem such as `社会法_劳动合同法(2012-12-28)`.
fn short_name_for(stem: &str) -> String {
    let (field, rest) = stem.split_once('_').unwrap_or(("", stem));
    if field == "民法典" {
        return "民法典".to_string();
    }
    let title = match rest.rfind('(') {
        Some(open) if rest.ends_with(')') => &rest[..open],
        _ => rest,
    };
    ABBREVIATIONS
        .iter()
        .find(|(long, _)| *long == title)
        .map_or_else(|| title.to_string(), |(_, short)| short.to_string())
}

/// The heading of an article line, `第一千零七十六条` or `第一百三十三条之一`,
/// when the line starts an article. The heading must be followed by a space
/// (ASCII or ideographic) so that prose such as `第三人…` is not mistaken
/// for one.
fn article_label(line: &str) -> Option<&str> {
    const NUMERALS: &str = "零一二三四五六七八九十百千万";
    let rest = line.strip_prefix('第')?;
    let digits = rest
        .char_indices()
        .find(|(_, c)| !NUMERALS.contains(*c))
        .map_or(rest.len(), |(i, _)| i);
    if digits == 0 {
        return None;
    }
    let mut end = '第'.len_utf8() + digits;
    let after = line[end..].strip_prefix('条')?;
    end += '条'.len_utf8();
    if let Some(sub) = after.strip_prefix('之') {
        let n = sub
            .char_indices()
            .find(|(_, c)| !NUMERALS.contains(*c))
            .map_or(sub.len(), |(i, _)| i);
        if n == 0 {
            return None;
        }
        end += '之'.len_utf8() + n;
    }
    let next = line[end..].chars().next();
    match next {
        None => Some(&line[..end]),
        Some(c) if c.is_whitespace() => Some(&line[..end]),
        _ => None,
    }
}

/// Splits a statute file into (heading, text) pairs.
fn split_articles(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with('#') {
            open = false;
            continue;
        }
        if let Some(label) = article_label(line) {
            out.push((label.to_string(), line.to_string()));
            open = true;
            continue;
        }
        let line = line.trim();
        if !open || line.is_empty() || line.starts_with("<!--") {
            continue;
        }
        if let Some((_, body)) = out.last_mut() {
            body.push('\n');
            body.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_follow_the_content_readme() {
        let cases = [
            ("社会法_劳动合同法(2012-12-28)", "劳动合同法"),
            ("民法典_婚姻家庭编", "民法典"),
            ("刑法_刑法", "刑法"),
            (
                "行政法规_保障农民工工资支付条例(2019-12-30)",
                "保障农民工工资支付条例",
            ),
            (
                "司法解释_最高人民法院关于审理民间借贷案件适用法律若干问题的规定(2020-12-29)",
                "民间借贷规定",
            ),
            (
                "司法解释_最高人民法院关于适用《民法典》婚姻家庭编的解释（一）(2020-12-29)",
                "婚姻家庭编解释一",
            ),
            (
                "司法解释_最高人民法院关于适用《民法典》婚姻家庭编的解释（二）(2025-01-15)",
                "婚姻家庭编解释二",
            ),
            (
                "司法解释_最高人民法院关于适用《民法典》继承编的解释（一）(2020-12-29)",
                "继承编解释一",
            ),
        ];
        for (stem, expected) in cases {
            assert_eq!(short_name_for(stem), expected, "{stem}");
        }
    }

    #[test]
    fn article_headings_need_a_following_space() {
        assert_eq!(article_label("第十条 内容"), Some("第十条"));
        assert_eq!(
            article_label("第一百三十三条之一 内容"),
            Some("第一百三十三条之一")
        );
        assert_eq!(article_label("第十条\u{3000}内容"), Some("第十条"));
        assert_eq!(article_label("第三人不履行义务的"), None);
        assert_eq!(article_label("第一款规定的人员"), None);
        assert_eq!(article_label("第十条规定的"), None);
    }

    #[test]
    fn article_text_runs_until_the_next_article_or_heading() {
        let text = "# 某法\n\n## 第一章\n\n第一条 甲。\n\n（一）乙；\n\n第二条 丙。\n\n## 第二章\n\n说明文字\n";
        let articles = split_articles(text);
        assert_eq!(
            articles,
            vec![
                ("第一条".to_string(), "第一条 甲。\n（一）乙；".to_string()),
                ("第二条".to_string(), "第二条 丙。".to_string()),
            ]
        );
    }
}

#[cfg(test)]
mod real_statutes {
    use super::*;
    use crate::numerals::{parse_chinese, to_chinese};

    fn laws_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/laws")
    }

    /// Every article heading in the shipped statutes is spelled exactly as
    /// the numeral converter spells its number, so every existing article
    /// can be cited with Arabic numerals.
    #[test]
    fn every_shipped_article_heading_round_trips_through_arabic_numbers() {
        let statutes = Statutes::load(laws_dir()).unwrap();
        let mut checked = 0;
        for law in statutes.laws() {
            for label in law.articles.keys() {
                let inner = label.strip_prefix('第').unwrap();
                let (number, sub) = inner.split_once('条').unwrap();
                let n = parse_chinese(number).unwrap_or_else(|| panic!("{label}"));
                let mut respelled = format!("第{}条", to_chinese(n));
                if let Some(sub) = sub.strip_prefix('之') {
                    respelled = format!("{respelled}之{}", to_chinese(parse_chinese(sub).unwrap()));
                }
                assert_eq!(&respelled, label, "{}", law.short_name);
                checked += 1;
            }
        }
        assert!(checked > 4000, "only {checked} articles");
    }
}
