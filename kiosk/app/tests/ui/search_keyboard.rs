//! The on-screen keyboard drives search: pinyin letters compose, candidates
//! commit Chinese, results are highlighted, and no result still helps.

use crate::common;

use kiosk::{KeyboardAdapter, Page, SearchAdapter};
use slint::{ComponentHandle, Model};

#[test]
fn typing_pinyin_on_the_keyboard_searches_while_composing() {
    let t = common::terminal();
    t.tap("搜一搜");
    assert_eq!(t.page(), Page::Search);
    t.type_keys("lihun");
    let search = t.app.global::<SearchAdapter>();
    assert!(
        search.get_composing().contains('l'),
        "composition shown: {}",
        search.get_composing()
    );
    assert!(
        search.get_hits().row_count() > 0,
        "letters alone already find articles"
    );
    let keyboard = t.app.global::<KeyboardAdapter>();
    let candidates: Vec<String> = keyboard
        .get_candidates()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(
        candidates.iter().any(|c| c == "离婚"),
        "离婚 is offered: {candidates:?}"
    );
}

#[test]
fn tapping_a_candidate_commits_chinese_and_highlights_matches() {
    let t = common::terminal();
    t.tap("搜一搜");
    t.type_keys("lihun");
    let keyboard = t.app.global::<KeyboardAdapter>();
    let index = keyboard
        .get_candidates()
        .iter()
        .position(|c| c == "离婚")
        .expect("离婚 offered");
    // Candidates are labelled with their text, as a resident sees them.
    t.tap("离婚");
    let search = t.app.global::<SearchAdapter>();
    assert_eq!(
        search.get_committed(),
        "离婚",
        "candidate {index} committed"
    );
    assert_eq!(search.get_composing(), "");
    let hits = search.get_hits();
    assert!(hits.row_count() > 0);
    let first = hits.row_data(0).unwrap();
    let highlighted: String = first
        .title
        .iter()
        .chain(first.snippet.iter())
        .filter(|s| s.highlight)
        .map(|s| s.text.to_string())
        .collect();
    assert!(
        highlighted.contains("离婚"),
        "the match is highlighted in {:?}",
        first.title_text
    );
    t.tap(&first.title_text);
    assert_eq!(t.page(), Page::Article);
}

#[test]
fn initials_find_articles_too() {
    let t = common::terminal();
    t.tap("搜一搜");
    t.type_keys("flyz");
    let titles: Vec<String> = t
        .app
        .global::<SearchAdapter>()
        .get_hits()
        .iter()
        .map(|h| h.title_text.to_string())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("法律援助")),
        "flyz → 法律援助: {titles:?}"
    );
}

#[test]
fn a_search_with_no_hits_suggests_categories_instead_of_an_empty_screen() {
    let t = common::terminal();
    t.tap("搜一搜");
    t.type_keys("xqxqxq");
    t.tap("确定");
    let search = t.app.global::<SearchAdapter>();
    assert!(search.get_searched());
    assert_eq!(search.get_hits().row_count(), 0);
    assert!(search.get_suggestions().row_count() > 0);
    let suggestion = search.get_suggestions().row_data(0).unwrap();
    t.tap(&suggestion.name);
    assert_eq!(t.page(), Page::ArticleList);
}

#[test]
fn backspace_and_clear_edit_the_query() {
    let t = common::terminal();
    t.tap("搜一搜");
    t.type_keys("hunyin");
    t.tap("删除");
    let search = t.app.global::<SearchAdapter>();
    assert!(
        !search.get_composing().replace('\'', "").ends_with('n')
            || search.get_composing().replace('\'', "") == "hunyi"
    );
    t.tap("清空");
    assert_eq!(search.get_committed(), "");
    assert_eq!(search.get_composing(), "");
    assert!(!search.get_searched());
}

#[test]
fn digits_mode_types_numbers_and_x_for_id_numbers() {
    let t = common::terminal();
    t.tap("搜一搜");
    t.tap("123");
    assert_eq!(t.app.global::<KeyboardAdapter>().get_mode(), 2);
    t.type_keys("12348");
    t.tap("X");
    assert_eq!(t.app.global::<SearchAdapter>().get_committed(), "12348X");
}

#[test]
fn leaving_search_by_home_clears_the_query() {
    let t = common::terminal();
    t.tap("搜一搜");
    t.type_keys("gongzi");
    t.tap("首页");
    t.tap("搜一搜");
    let search = t.app.global::<SearchAdapter>();
    assert_eq!(search.get_committed(), "");
    assert_eq!(search.get_composing(), "");
    assert_eq!(search.get_hits().row_count(), 0);
}
