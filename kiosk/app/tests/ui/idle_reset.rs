//! Idle reset: a visible count-down offers 继续使用; then everything the
//! resident did is cleared and the home screen returns.

use crate::common;

use std::time::{Duration, Instant};

use kiosk::{IdleAdapter, Page, SearchAdapter, Theme};
use slint::{ComponentHandle, Model};

const IDLE: Duration = Duration::from_secs(90);

#[test]
fn after_the_idle_time_a_count_down_offers_to_continue() {
    let t = common::terminal();
    t.tap("法律知识");
    let idle = t.app.global::<IdleAdapter>();
    t.kiosk
        .borrow_mut()
        .tick(Instant::now() + IDLE - Duration::from_secs(5));
    assert!(!idle.get_warning());
    t.kiosk
        .borrow_mut()
        .tick(Instant::now() + IDLE + Duration::from_millis(100));
    assert!(idle.get_warning());
    assert_eq!(idle.get_remaining(), 10);
    assert!(
        !t.find_all("继续使用").is_empty(),
        "the count-down shows 继续使用"
    );

    t.tap("继续使用");
    t.kiosk
        .borrow_mut()
        .tick(Instant::now() + Duration::from_secs(1));
    assert!(!idle.get_warning());
    assert_eq!(t.page(), Page::Categories, "the resident keeps their place");
}

#[test]
fn when_the_count_down_ends_everything_is_cleared_and_home_returns() {
    let t = common::terminal();
    t.tap("长辈模式");
    t.tap("搜一搜");
    t.type_keys("gongzi");
    let search = t.app.global::<SearchAdapter>();
    assert!(search.get_hits().row_count() > 0);

    t.kiosk
        .borrow_mut()
        .tick(Instant::now() + IDLE + Duration::from_secs(11));

    assert_eq!(t.page(), Page::Home);
    assert!(!t.app.global::<IdleAdapter>().get_warning());
    assert!(
        !t.app.global::<Theme>().get_elder(),
        "elder mode ends with the session"
    );
    assert_eq!(search.get_committed(), "");
    assert_eq!(search.get_composing(), "");
    assert_eq!(search.get_hits().row_count(), 0);
    assert!(!t.kiosk.borrow().session().can_go_back());

    // The next resident starts from a clean search.
    t.tap("搜一搜");
    assert_eq!(search.get_composing(), "");
}

#[test]
fn the_article_last_read_is_wiped_from_the_screen_models() {
    let t = common::terminal();
    let first = t.open_first_article("婚姻家庭");
    let library = t.app.global::<kiosk::LibraryAdapter>();
    assert_eq!(library.get_article_title(), first.title);

    t.kiosk
        .borrow_mut()
        .tick(Instant::now() + IDLE + Duration::from_secs(11));

    assert_eq!(t.page(), Page::Home);
    assert_eq!(library.get_article_title(), "");
    assert_eq!(library.get_article_blocks().row_count(), 0);
    assert_eq!(library.get_articles().row_count(), 0);
}
