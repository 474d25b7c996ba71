//! 长辈模式: one tap enlarges every text and target, and it lasts until the
//! session ends.

use crate::common;

use kiosk::{Page, Theme};
use slint::ComponentHandle;

#[test]
fn elder_mode_enlarges_text_to_24px_and_targets_to_80px() {
    let t = common::terminal();
    let theme = t.app.global::<Theme>();
    assert!(
        theme.get_body() >= 24.0,
        "normal body text is at least 18 pt"
    );
    assert!(theme.get_target() >= 60.0);
    let normal_body = theme.get_body();

    t.tap("长辈模式");
    assert!(theme.get_elder());
    assert!(theme.get_body() >= 24.0 && theme.get_body() > normal_body);
    assert!(theme.get_target() >= 80.0);
    assert_eq!(t.find("长辈模式").accessible_checked(), Some(true));

    // Real element sizes, not just the theme: 首页 and a keyboard key.
    t.tap("搜一搜");
    let home = t.find("首页").size();
    assert!(home.height >= 80.0, "首页 is {home:?}");
    let key = t.find("a").size();
    assert!(key.height >= 80.0 && key.width >= 60.0, "key a is {key:?}");
}

#[test]
fn elder_mode_stays_on_across_screens_and_home() {
    let t = common::terminal();
    t.tap("长辈模式");
    t.tap("法律知识");
    t.tap("继承");
    t.tap("首页");
    assert_eq!(t.page(), Page::Home);
    assert!(t.app.global::<Theme>().get_elder());
}

#[test]
fn tapping_elder_mode_again_turns_it_off() {
    let t = common::terminal();
    t.tap("长辈模式");
    t.tap("长辈模式");
    assert!(!t.app.global::<Theme>().get_elder());
}

#[test]
fn the_help_line_and_about_stay_on_screen_in_elder_mode() {
    let t = common::terminal();
    t.tap("长辈模式");
    let about = t.find("关于本机");
    let bottom = about.absolute_position().y + about.size().height;
    assert!(
        bottom <= 1920.0,
        "关于本机 ends at {bottom} px, below the 1920 px screen"
    );
}
