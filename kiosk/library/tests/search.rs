//! Search as a resident uses it: Chinese or pinyin typed on the on-screen
//! keyboard, ranked title over keyword over body, with highlights.

mod common;

use common::{Doc, Fixture, real_content_dir, statutes};
use kiosk_library::{Hit, Library, MatchField, SearchIndex, Span, SyncOutcome, suggest_categories};
use rusqlite::Connection;

fn docs() -> Vec<(&'static str, Doc)> {
    vec![
        (
            "01-divorce.md",
            Doc::new(
                "marriage-divorce-registration",
                "协议离婚要走哪些步骤",
                &["协议离婚", "离婚登记", "离婚冷静期"],
                "## 法律怎么说\n\n夫妻双方自愿离婚的，应当到婚姻登记机关申请离婚登记（民法典第1076条）。\n\n\
                 - 有疑问可以拨打１２３４８咨询。",
            ),
        ),
        (
            "02-registration.md",
            Doc::new(
                "marriage-registration",
                "婚姻登记要带什么",
                &["结婚登记", "婚姻法", "结婚"],
                "带上身份证和户口簿（民法典第1076条）。",
            ),
        ),
        (
            "03-child-support.md",
            Doc::new(
                "marriage-child-support",
                "孩子抚养费怎么算",
                &["抚养费", "离婚", "子女抚养", "家长"],
                "抚养费按照子女的实际需要确定（民法典第1076条）。",
            ),
        ),
        (
            "01-estate.md",
            Doc::new(
                "inheritance-estate",
                "遗产怎么分",
                &["遗产", "继承", "遗嘱"],
                "父母离婚后，子女仍然可以继承父母的遗产（民法典第1076条）。",
            ),
        ),
        (
            "01-wages.md",
            Doc::new(
                "labour-unpaid-wages",
                "老板不发工资怎么办",
                &["讨薪", "拖欠工资", "讨工资"],
                "用人单位应当按时足额支付劳动报酬（民法典第1076条）。",
            ),
        ),
        (
            "01-iou.md",
            Doc::new(
                "private-lending-iou",
                "别人欠钱不还怎么办",
                &["欠钱不还", "借条", "讨债"],
                "先找出借条，再和对方协商（民法典第1076条）。",
            ),
        ),
    ]
}

/// A database with the fixture library imported.
fn indexed() -> (Fixture, Library, Connection) {
    let f = Fixture::new();
    for (file, doc) in docs() {
        f.add(file, &doc);
    }
    let library = Library::load(f.path(), statutes()).unwrap();
    let mut conn = kiosk_storage::open_in_memory().unwrap();
    SearchIndex::sync(&mut conn, &library).unwrap();
    (f, library, conn)
}

fn search(conn: &Connection, q: &str) -> Vec<Hit> {
    SearchIndex::search(conn, q, 20).unwrap()
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

fn render(spans: &[Span]) -> String {
    Span::bracketed(spans)
}

#[test]
fn full_pinyin_finds_the_characters_it_spells() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "hunyin");
    assert_eq!(ids(&hits), ["marriage-registration"]);
    assert_eq!(render(&hits[0].title), "[婚姻]登记要带什么");
    assert_eq!(hits[0].field, MatchField::Title);
}

#[test]
fn initials_find_the_same_words() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "hy");
    // 婚要 in 协议离婚要… fits h-y too, but a match at the start ranks first.
    assert_eq!(
        ids(&hits),
        ["marriage-registration", "marriage-divorce-registration"]
    );
    assert_eq!(render(&hits[0].title), "[婚姻]登记要带什么");
    assert_eq!(render(&hits[1].title), "协议离[婚要]走哪些步骤");
}

#[test]
fn mixes_of_full_syllables_initials_and_a_partial_last_syllable_match() {
    let (_f, _l, conn) = indexed();
    for q in ["hyin", "hunyi", "hunyinf", "hunyin"] {
        assert_eq!(ids(&search(&conn, q)), ["marriage-registration"], "{q}");
    }
    // 婚要 (hun-yao) fits `huny` too, further into its title.
    assert_eq!(
        ids(&search(&conn, "huny")),
        ["marriage-registration", "marriage-divorce-registration"]
    );
    // 婚姻法 is only a keyword.
    let hits = search(&conn, "hunyinfa");
    assert_eq!(ids(&hits), ["marriage-registration"]);
    assert_eq!(hits[0].field, MatchField::Keyword);
}

#[test]
fn initials_reach_keywords() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "tgz");
    assert_eq!(ids(&hits), ["labour-unpaid-wages"]);
    assert_eq!(hits[0].field, MatchField::Keyword);
    assert_eq!(ids(&search(&conn, "taoxin")), ["labour-unpaid-wages"]);
}

#[test]
fn chinese_query_ranks_title_then_keyword_then_body() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "离婚");
    assert_eq!(
        ids(&hits),
        [
            "marriage-divorce-registration",
            "marriage-child-support",
            "inheritance-estate"
        ]
    );
    let fields: Vec<_> = hits.iter().map(|h| h.field).collect();
    assert_eq!(
        fields,
        [MatchField::Title, MatchField::Keyword, MatchField::Body]
    );
    assert_eq!(render(&hits[0].title), "协议[离婚]要走哪些步骤");
}

#[test]
fn pinyin_of_a_chinese_word_ranks_like_the_word() {
    let (_f, _l, conn) = indexed();
    // Pinyin is not searched in bodies, so the body-only article drops out.
    assert_eq!(
        ids(&search(&conn, "lihun")),
        ["marriage-divorce-registration", "marriage-child-support"]
    );
}

#[test]
fn everyday_words_find_their_article() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "欠钱");
    assert_eq!(ids(&hits), ["private-lending-iou"]);
    assert_eq!(render(&hits[0].title), "别人[欠钱]不还怎么办");
    assert_eq!(ids(&search(&conn, "qianqian")), ["private-lending-iou"]);
    assert_eq!(ids(&search(&conn, "qq")), ["private-lending-iou"]);
}

#[test]
fn body_match_gives_a_highlighted_snippet_around_it() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "登记机关");
    assert_eq!(ids(&hits), ["marriage-divorce-registration"]);
    assert_eq!(hits[0].field, MatchField::Body);
    assert_eq!(render(&hits[0].title), "协议离婚要走哪些步骤");
    let snippet = render(&hits[0].snippet);
    assert!(snippet.contains("婚姻[登记机关]申请"), "{snippet}");
    assert!(snippet.starts_with('…'), "cut before the match: {snippet}");
}

#[test]
fn title_only_match_shows_the_summary_as_snippet() {
    let (_f, _l, conn) = indexed();
    let hits = search(&conn, "hunyin");
    assert_eq!(render(&hits[0].snippet), "这是婚姻登记要带什么的摘要。");
}

#[test]
fn digits_match_in_half_or_full_width() {
    let (_f, _l, conn) = indexed();
    for q in ["12348", "１２３４８", "1234"] {
        let hits = search(&conn, q);
        assert_eq!(ids(&hits), ["marriage-divorce-registration"], "{q}");
        assert!(render(&hits[0].snippet).contains("[１２３４８]"), "{q}");
    }
}

#[test]
fn every_reading_of_a_polyphonic_character_matches() {
    let (_f, _l, conn) = indexed();
    // 长 in 家长 reads zhang here, but chang elsewhere.
    assert_eq!(ids(&search(&conn, "jiazhang")), ["marriage-child-support"]);
    assert_eq!(ids(&search(&conn, "jiachang")), ["marriage-child-support"]);
}

#[test]
fn blank_query_has_no_hits_and_no_error() {
    let (_f, _l, conn) = indexed();
    for q in ["", "   ", "\t\n", "，。"] {
        assert!(search(&conn, q).is_empty(), "{q:?}");
    }
}

#[test]
fn limit_caps_the_hits() {
    let (_f, _l, conn) = indexed();
    assert_eq!(SearchIndex::search(&conn, "离婚", 2).unwrap().len(), 2);
    assert!(SearchIndex::search(&conn, "离婚", 0).unwrap().is_empty());
}

#[test]
fn a_phrase_does_not_match_its_characters_apart() {
    let (_f, _l, conn) = indexed();
    // 子 and 女 both occur, but 女子 never does.
    assert!(search(&conn, "女子").is_empty());
}

#[test]
fn no_hits_suggests_the_categories_sharing_its_words_first() {
    let (_f, library, conn) = indexed();
    for q in ["借钱", "jieqian"] {
        assert!(search(&conn, q).is_empty(), "{q}");
        let suggested = suggest_categories(&library, q);
        assert_eq!(suggested[0].slug, "private-lending", "{q}");
        assert_eq!(
            suggested.len(),
            library.categories().len(),
            "every category offered"
        );
    }
}

#[test]
fn suggestions_for_unrelated_input_keep_the_grid_order() {
    let (_f, library, _conn) = indexed();
    let slugs: Vec<_> = suggest_categories(&library, "xyz123")
        .iter()
        .map(|c| c.slug.clone())
        .collect();
    let grid: Vec<_> = library
        .categories()
        .iter()
        .map(|c| c.slug.clone())
        .collect();
    assert_eq!(slugs, grid);
}

#[test]
fn sync_imports_once_and_skips_an_unchanged_library() {
    let (_f, library, mut conn) = indexed();
    assert_eq!(
        SearchIndex::sync(&mut conn, &library).unwrap(),
        SyncOutcome::Unchanged
    );
}

#[test]
fn sync_replaces_the_previous_import_when_content_changes() {
    let (f, _l, mut conn) = indexed();
    let (file, mut doc) = docs().remove(5);
    doc.title = "借给别人的钱要不回来".into();
    f.add(file, &doc);
    let library = Library::load(f.path(), statutes()).unwrap();
    let outcome = SearchIndex::sync(&mut conn, &library).unwrap();
    assert!(matches!(outcome, SyncOutcome::Imported { articles: 6, .. }));
    assert_eq!(
        render(&search(&conn, "要不回来")[0].title),
        "借给别人的钱[要不回来]"
    );
    // The old title is gone; the keyword 欠钱不还 still matches.
    assert_eq!(search(&conn, "欠钱")[0].field, MatchField::Keyword);
}

#[test]
fn searching_before_any_import_finds_nothing() {
    let conn = kiosk_storage::open_in_memory().unwrap();
    assert!(search(&conn, "离婚").is_empty());
    assert!(search(&conn, "hy").is_empty());
}

#[test]
fn the_shipped_library_answers_common_queries() {
    let library = Library::load(real_content_dir(), statutes()).unwrap();
    let mut conn = kiosk_storage::open_in_memory().unwrap();
    SearchIndex::sync(&mut conn, &library).unwrap();
    for q in [
        "离婚",
        "lihun",
        "hunyin",
        "hy",
        "欠钱",
        "gongzi",
        "taoxin",
        "jiaotongshigu",
        "falvyuanzhu",
    ] {
        let hits = search(&conn, q);
        if library
            .articles()
            .iter()
            .any(|a| a.title().contains("离婚"))
            && q == "离婚"
        {
            assert_eq!(hits[0].field, MatchField::Title, "{q}");
        }
        // Ranking is never worse-field-first.
        assert!(hits.windows(2).all(|w| w[0].field <= w[1].field), "{q}");
    }
}

#[test]
fn any_typed_input_returns_without_error() {
    let (_f, _l, conn) = indexed();
    let alphabet: Vec<char> = "abcdefghzhchshuvü离婚欠钱工资（）， 　１２ＡＢ3-*%'\"\\\u{10FFFF}"
        .chars()
        .collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let len = (seed % 30) as usize;
        let query: String = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        SearchIndex::search(&conn, &query, 20).unwrap();
    }
    // Long inputs are cut, not rejected.
    SearchIndex::search(&conn, &"离婚".repeat(500), 20).unwrap();
    SearchIndex::search(&conn, &"a".repeat(500), 20).unwrap();
}

#[test]
fn search_works_inside_a_callers_transaction() {
    let (_f, _l, mut conn) = indexed();
    let tx = conn.transaction().unwrap();
    assert_eq!(ids(&search(&tx, "欠钱")), ["private-lending-iou"]);
    tx.commit().unwrap();
}
