//! Citations of statute articles as content writes them: `民法典第1076条`,
//! `刑法第133条之一`.

use std::fmt;

use crate::numerals::{parse_chinese, to_chinese};

/// One statute article, named by the law's short name and the article's
/// number (plus the `之N` sub-number of an inserted article, 0 when none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Citation {
    /// The law's short name, e.g. `民法典`, `劳动合同法`.
    pub law: String,
    /// The article number, from 1.
    pub article: u32,
    /// The `之N` number of an inserted article (`刑法第133条之一` → 1); 0 for
    /// an ordinary article.
    pub sub: u32,
}

/// Why a string is not a citation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitationError {
    /// The text does not have the shape `<law>第<N>条` or `<law>第<N>条之<一…>`.
    #[error(
        "`{0}` is not a citation; write it as <law short name>第<Arabic number>条, e.g. 民法典第1076条 or 刑法第133条之一"
    )]
    Malformed(String),
}

impl Citation {
    /// Parses `民法典第1076条` or `刑法第133条之一`. Surrounding whitespace is
    /// ignored; everything else must match exactly.
    pub fn parse(text: &str) -> Result<Citation, CitationError> {
        let malformed = || CitationError::Malformed(text.to_string());
        let s = text.trim();
        let (law, rest) = s.split_once('第').ok_or_else(malformed)?;
        if law.is_empty()
            || law
                .chars()
                .any(|c| c.is_whitespace() || c.is_ascii_punctuation())
        {
            return Err(malformed());
        }
        let (number, tail) = rest.split_once('条').ok_or_else(malformed)?;
        if number.is_empty() || number.len() > 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let article: u32 = number.parse().map_err(|_| malformed())?;
        if article == 0 || number.starts_with('0') {
            return Err(malformed());
        }
        let sub = if tail.is_empty() {
            0
        } else {
            let sub = tail.strip_prefix('之').ok_or_else(malformed)?;
            parse_chinese(sub)
                .filter(|&n| n < 100)
                .ok_or_else(malformed)?
        };
        Ok(Citation {
            law: law.to_string(),
            article,
            sub,
        })
    }

    /// The article's heading as the statute file writes it, e.g.
    /// `第一千零七十六条`, `第一百三十三条之一`.
    pub fn article_label(&self) -> String {
        let mut label = format!("第{}条", to_chinese(self.article));
        if self.sub > 0 {
            label.push('之');
            label.push_str(&to_chinese(self.sub));
        }
        label
    }
}

impl fmt::Display for Citation {
    /// Writes the citation back in content form, `民法典第1076条`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}第{}条", self.law, self.article)?;
        if self.sub > 0 {
            write!(f, "之{}", to_chinese(self.sub))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Citation {
    type Err = CitationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Citation::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_inserted_articles() {
        assert_eq!(
            Citation::parse("民法典第1076条").unwrap(),
            Citation {
                law: "民法典".into(),
                article: 1076,
                sub: 0
            }
        );
        let inserted = Citation::parse("刑法第133条之一").unwrap();
        assert_eq!(inserted.sub, 1);
        assert_eq!(inserted.article_label(), "第一百三十三条之一");
        assert_eq!(inserted.to_string(), "刑法第133条之一");
    }

    #[test]
    fn labels_match_statute_headings() {
        let c = Citation::parse("民法典第1076条").unwrap();
        assert_eq!(c.article_label(), "第一千零七十六条");
        let c = Citation::parse("劳动合同法第10条").unwrap();
        assert_eq!(c.article_label(), "第十条");
    }

    #[test]
    fn rejects_malformed_citations() {
        for bad in [
            "",
            "第10条",
            "民法典第条",
            "民法典第十条",
            "民法典第0条",
            "民法典第010条",
            "民法典第10",
            "民法典第10条第二款",
            "民法典第10条之",
            "民法典第10条之1",
            "民法典 第10条",
            "民法典第１０条",
            "民法典第99999999999条",
        ] {
            assert!(Citation::parse(bad).is_err(), "{bad}");
        }
    }
}
