//! Tapping tiles and buttons moves through the library, and 返回 / 首页
//! always lead back.

use crate::common;

use kiosk::{LibraryAdapter, Page};
use slint::{ComponentHandle, Model};

#[test]
fn tapping_the_library_tile_shows_every_category() {
    let t = common::terminal();
    assert_eq!(t.page(), Page::Home);
    t.tap("法律知识");
    assert_eq!(t.page(), Page::Categories);
    for name in [
        "婚姻家庭",
        "继承",
        "劳动争议与讨薪",
        "防范电信网络诈骗",
        "行政复议与仲裁",
    ] {
        assert!(
            !t.find_all(name).is_empty(),
            "category tile {name} is shown"
        );
    }
}

#[test]
fn a_category_leads_to_its_articles_and_an_article_opens_in_full() {
    let t = common::terminal();
    t.tap("法律知识");
    t.tap("继承");
    assert_eq!(t.page(), Page::ArticleList);
    let adapter = t.app.global::<LibraryAdapter>();
    assert_eq!(adapter.get_category_name(), "继承");
    let first = adapter
        .get_articles()
        .row_data(0)
        .expect("the category has articles");
    t.tap(&first.title);
    assert_eq!(t.page(), Page::Article);
    assert_eq!(adapter.get_article_title(), first.title);
    assert!(
        adapter.get_article_blocks().row_count() > 3,
        "the body is shown"
    );
    assert!(
        adapter.get_article_sources().row_count() > 0,
        "its legal basis is shown"
    );
    let source = adapter.get_article_sources().row_data(0).unwrap();
    assert!(
        source.text.starts_with('第'),
        "the cited article's text is quoted: {}",
        source.text
    );
}

#[test]
fn back_retraces_the_path_and_home_returns_from_anywhere() {
    let t = common::terminal();
    let first = t.open_first_article("婚姻家庭");
    t.tap("返回");
    assert_eq!(t.page(), Page::ArticleList);
    t.tap("返回");
    assert_eq!(t.page(), Page::Categories);
    t.tap("婚姻家庭");
    t.tap(&first.title);
    t.tap("首页");
    assert_eq!(t.page(), Page::Home);
}

#[test]
fn home_shortcuts_open_a_category_directly() {
    let t = common::terminal();
    t.tap("婚姻家庭");
    assert_eq!(t.page(), Page::ArticleList);
}

#[test]
fn text_size_buttons_change_the_article_text_within_limits() {
    let t = common::terminal();
    t.open_first_article("公证");
    let theme = t.app.global::<kiosk::Theme>();
    let normal = theme.get_article_body();
    t.tap("字大一点 A+");
    assert!(theme.get_article_body() > normal);
    for _ in 0..10 {
        t.tap("字大一点 A+");
    }
    assert_eq!(
        t.find("字大一点 A+").accessible_enabled(),
        Some(false),
        "A+ is disabled at the largest size"
    );
    t.tap("字小一点 A−");
    t.tap("字小一点 A−");
    t.tap("字小一点 A−");
    t.tap("字小一点 A−");
    assert!(theme.get_article_body() < normal);
}

#[test]
fn the_about_page_names_the_content_sources_and_licences() {
    let t = common::terminal();
    t.tap("关于本机");
    assert_eq!(t.page(), Page::About);
    let state = t.app.global::<kiosk::AppState>();
    assert!(
        state.get_article_count() >= 80,
        "{} articles",
        state.get_article_count()
    );
    assert!(state.get_law_count() >= 30);
    t.tap("首页");
    assert_eq!(t.page(), Page::Home);
}
