//! Loading a content library: what is accepted, and every way a file is
//! refused with an error that names it.

mod common;

use common::{Doc, Fixture, real_content_dir, statutes};
use kiosk_library::{Block, ContentError, Library, Problem};

fn divorce() -> Doc {
    Doc::new(
        "marriage-divorce-registration",
        "协议离婚要走哪些步骤",
        &["离婚", "协议离婚", "离婚登记"],
        "## 法律怎么说\n\n夫妻双方自愿离婚的，应当签订书面离婚协议（民法典第1076条）。\n\n- 婚姻登记机关。",
    )
}

fn load_err(fixture: &Fixture) -> ContentError {
    Library::load(fixture.path(), statutes()).unwrap_err()
}

fn only_problem(err: &ContentError) -> &Problem {
    assert_eq!(err.problems.len(), 1, "{err}");
    &err.problems[0].problem
}

#[test]
fn the_shipped_content_library_loads() {
    match Library::load(real_content_dir(), statutes()) {
        Ok(library) => {
            assert_eq!(library.categories().len(), 13);
            for article in library.articles() {
                assert!(!article.body().is_empty());
            }
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_valid_library_loads_with_categories_and_articles_in_order() {
    let f = Fixture::new();
    f.add("20-divorce.md", &divorce());
    let mut second = divorce();
    second.id = "marriage-cooling-off".into();
    second.title = "什么是离婚冷静期".into();
    f.add("10-cooling-off.md", &second);

    let library = Library::load(f.path(), statutes()).unwrap();
    let slugs: Vec<_> = library
        .categories()
        .iter()
        .map(|c| c.slug.as_str())
        .collect();
    assert_eq!(
        slugs,
        [
            "marriage-family",
            "inheritance",
            "labour-wages",
            "private-lending",
            "property-management"
        ]
    );
    // File-name order within a category.
    let ids: Vec<_> = library
        .articles_in("marriage-family")
        .iter()
        .map(|a| a.id())
        .collect();
    assert_eq!(
        ids,
        ["marriage-cooling-off", "marriage-divorce-registration"]
    );
    assert!(library.articles_in("inheritance").is_empty());
    assert!(library.articles_in("no-such-category").is_empty());

    let article = library.article("marriage-divorce-registration").unwrap();
    assert_eq!(article.title(), "协议离婚要走哪些步骤");
    assert_eq!(article.sources()[0].to_string(), "民法典第1076条");
    assert_eq!(article.body()[0], Block::Heading("法律怎么说".into()));
    assert!(article.path().ends_with("marriage-family/20-divorce.md"));
}

#[test]
fn content_hash_is_stable_and_changes_with_any_file() {
    let f = Fixture::new();
    let path = f.add("a.md", &divorce());
    let first = Library::load(f.path(), statutes()).unwrap().content_hash();
    let again = Library::load(f.path(), statutes()).unwrap().content_hash();
    assert_eq!(first, again);

    std::fs::write(&path, divorce().text().replace("步骤", "手续")).unwrap();
    let edited = Library::load(f.path(), statutes()).unwrap().content_hash();
    assert_ne!(first, edited);
}

#[test]
fn missing_field_is_reported_naming_the_file() {
    let f = Fixture::new();
    let path = f.add("a.md", &divorce());
    std::fs::write(
        &path,
        divorce()
            .text()
            .replace("summary = \"这是协议离婚要走哪些步骤的摘要。\"\n", ""),
    )
    .unwrap();
    let err = load_err(&f);
    assert_eq!(only_problem(&err), &Problem::MissingField("summary"));
    assert_eq!(err.problems[0].path, path);
    assert!(
        err.to_string()
            .contains("a.md: missing required field `summary`"),
        "{err}"
    );
}

#[test]
fn wrongly_typed_field_is_reported() {
    let f = Fixture::new();
    let path = f.add("a.md", &divorce());
    std::fs::write(
        &path,
        divorce().text().replace(
            "keywords = [\"离婚\", \"协议离婚\", \"离婚登记\"]",
            "keywords = \"离婚\"",
        ),
    )
    .unwrap();
    assert!(matches!(
        only_problem(&load_err(&f)),
        Problem::WrongType {
            field: "keywords",
            ..
        }
    ));
}

#[test]
fn unknown_category_is_reported() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.category = "marriage-and-love".into();
    f.write("marriage-family", "a.md", &doc.text());
    assert_eq!(
        only_problem(&load_err(&f)),
        &Problem::UnknownCategory("marriage-and-love".into())
    );
}

#[test]
fn article_outside_its_category_folder_is_reported() {
    let f = Fixture::new();
    f.write("inheritance", "a.md", &divorce().text());
    assert_eq!(
        only_problem(&load_err(&f)),
        &Problem::WrongFolder {
            category: "marriage-family".into(),
            folder: "inheritance".into()
        }
    );
}

#[test]
fn folder_that_is_not_a_category_is_reported() {
    let f = Fixture::new();
    f.add("a.md", &divorce());
    let mut stray = divorce();
    stray.id = "marriage-other".into();
    f.write("marriage", "b.md", &stray.text());
    let err = load_err(&f);
    assert!(
        err.problems
            .iter()
            .any(|p| p.problem == Problem::UnknownFolder("marriage".into())),
        "{err}"
    );
}

#[test]
fn duplicate_id_is_reported_naming_both_files() {
    let f = Fixture::new();
    let first = f.add("a.md", &divorce());
    let second = f.add("b.md", &divorce());
    let err = load_err(&f);
    assert_eq!(
        only_problem(&err),
        &Problem::DuplicateId {
            id: "marriage-divorce-registration".into(),
            other: first
        }
    );
    assert_eq!(err.problems[0].path, second);
}

#[test]
fn malformed_source_is_reported() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.sources = vec!["民法典第1076条".into(), "民法典1077条".into()];
    f.add("a.md", &doc);
    assert!(matches!(only_problem(&load_err(&f)), Problem::BadSource(_)));
}

#[test]
fn citation_of_a_nonexistent_article_is_reported() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.sources = vec!["民法典第1076条".into(), "民法典第1300条".into()];
    f.add("a.md", &doc);
    assert_eq!(
        only_problem(&load_err(&f)),
        &Problem::NoSuchArticle {
            citation: "民法典第1300条".into(),
            law: "民法典".into(),
            label: "第一千三百条".into()
        }
    );
}

#[test]
fn citation_of_an_unknown_law_is_reported() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.sources = vec!["民法典第1076条".into(), "婚姻法第31条".into()];
    f.add("a.md", &doc);
    assert!(
        matches!(only_problem(&load_err(&f)), Problem::UnknownLaw { law, .. } if law == "婚姻法")
    );
}

#[test]
fn citing_the_superseded_arbitration_law_is_refused() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.sources = vec!["民法典第1076条".into(), "仲裁法第4条".into()];
    f.add("a.md", &doc);
    assert!(
        matches!(only_problem(&load_err(&f)), Problem::SupersededLaw { law, .. } if law == "仲裁法")
    );
}

#[test]
fn inline_citation_missing_from_sources_is_reported() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.body
        .push_str("\n\n离婚冷静期是三十日（民法典第1077条）。");
    f.add("a.md", &doc);
    assert!(matches!(
        only_problem(&load_err(&f)),
        Problem::InlineCitationNotInSources { citation, .. } if citation == "民法典第1077条"
    ));
}

#[test]
fn malformed_toml_is_reported() {
    let f = Fixture::new();
    let path = f.add("a.md", &divorce());
    std::fs::write(
        &path,
        divorce()
            .text()
            .replace("title = \"协议离婚要走哪些步骤\"", "title = 协议离婚"),
    )
    .unwrap();
    assert!(matches!(
        only_problem(&load_err(&f)),
        Problem::Toml { line: 3, .. }
    ));
}

#[test]
fn unterminated_front_matter_is_reported() {
    let f = Fixture::new();
    let text = divorce().text();
    let cut = text.replacen("+++\n\n", "\n", 1);
    f.write("marriage-family", "a.md", &cut);
    assert_eq!(
        only_problem(&load_err(&f)),
        &Problem::UnterminatedFrontMatter
    );
}

#[test]
fn unknown_service_is_reported() {
    let f = Fixture::new();
    let path = f.add("a.md", &divorce());
    std::fs::write(
        &path,
        divorce()
            .text()
            .replace("[\"hotline\"]", "[\"hotline\", \"police\"]"),
    )
    .unwrap();
    assert_eq!(
        only_problem(&load_err(&f)),
        &Problem::UnknownService("police".into())
    );
}

#[test]
fn empty_body_is_reported() {
    let f = Fixture::new();
    let mut doc = divorce();
    doc.body = "   ".into();
    f.add("a.md", &doc);
    assert_eq!(only_problem(&load_err(&f)), &Problem::EmptyBody);
}

#[test]
fn problems_in_several_files_are_reported_together_and_nothing_loads() {
    let f = Fixture::new();
    f.add("good.md", &divorce());
    let mut bad1 = divorce();
    bad1.id = "marriage-bad-one".into();
    bad1.sources = vec!["民法典第1076条".into(), "民法典第9999条".into()];
    f.add("bad1.md", &bad1);
    f.write("inheritance", "bad2.md", "no front matter");
    f.write("labour-wages", "bad3.md", "+++\nid = \"labour-x\"\n");
    let err = load_err(&f);
    let files: Vec<String> = err
        .problems
        .iter()
        .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["bad1.md", "bad2.md", "bad3.md"], "{err}");
    assert!(
        err.to_string()
            .starts_with("the content library has 3 problems:")
    );
}

#[test]
fn missing_categories_file_is_reported() {
    let f = Fixture::new();
    std::fs::remove_file(f.path().join("categories.toml")).unwrap();
    let err = load_err(&f);
    assert!(err.problems[0].path.ends_with("categories.toml"), "{err}");
}

#[test]
fn malformed_categories_file_is_reported() {
    let f = Fixture::new();
    std::fs::write(
        f.path().join("categories.toml"),
        "[[category]]\nslug = \"a\"\n",
    )
    .unwrap();
    assert!(matches!(
        only_problem(&load_err(&f)),
        Problem::Categories(_)
    ));
}
