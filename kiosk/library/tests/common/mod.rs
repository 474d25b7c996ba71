//! Small content libraries written to a temporary folder, for tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kiosk_library::Statutes;

pub const CATEGORIES: &str = r#"
[[category]]
slug = "marriage-family"
name = "婚姻家庭"
blurb = "结婚、离婚、抚养、赡养、家庭暴力"

[[category]]
slug = "inheritance"
name = "继承"
blurb = "遗产怎么分、遗嘱怎么立"

[[category]]
slug = "labour-wages"
name = "劳动争议与讨薪"
blurb = "劳动合同、拖欠工资、工伤、仲裁"

[[category]]
slug = "private-lending"
name = "民间借贷"
blurb = "借条、利息、欠钱不还"

[[category]]
slug = "property-management"
name = "物业纠纷"
blurb = "物业费、物业服务、小区公共事务"
"#;

/// The shipped statutes, loaded once per test binary.
pub fn statutes() -> &'static Statutes {
    static STATUTES: OnceLock<Statutes> = OnceLock::new();
    STATUTES.get_or_init(|| {
        Statutes::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/laws")).unwrap()
    })
}

pub fn real_content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/content")
}

/// The fields of a test article; `text()` renders the file.
#[derive(Clone)]
pub struct Doc {
    pub id: String,
    pub title: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub sources: Vec<String>,
    pub body: String,
}

impl Doc {
    pub fn new(id: &str, title: &str, keywords: &[&str], body: &str) -> Doc {
        let category = match id.split('-').next().unwrap() {
            "marriage" => "marriage-family",
            "inheritance" => "inheritance",
            "labour" => "labour-wages",
            "private" => "private-lending",
            "property" => "property-management",
            other => other,
        };
        Doc {
            id: id.into(),
            title: title.into(),
            category: category.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            sources: vec!["民法典第1076条".into()],
            body: body.into(),
        }
    }

    pub fn text(&self) -> String {
        let list = |items: &[String]| {
            items
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "+++\nid = \"{}\"\ntitle = \"{}\"\ncategory = \"{}\"\nkeywords = [{}]\n\
             summary = \"这是{}的摘要。\"\nsources = [{}]\nservices = [\"hotline\"]\n\
             updated = 2026-11-27\n+++\n\n{}\n",
            self.id,
            self.title,
            self.category,
            list(&self.keywords),
            self.title,
            list(&self.sources),
            self.body
        )
    }
}

/// A content folder in a temporary directory.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("categories.toml"), CATEGORIES).unwrap();
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `<folder>/<file>` with raw text.
    pub fn write(&self, folder: &str, file: &str, text: &str) -> PathBuf {
        let folder = self.dir.path().join(folder);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes a document into its category's folder as `<file>`.
    pub fn add(&self, file: &str, doc: &Doc) -> PathBuf {
        self.write(&doc.category.clone(), file, &doc.text())
    }
}
