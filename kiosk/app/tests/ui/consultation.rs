//! 视频咨询律师 on screen, without a hub: what the terminal offers and the
//! words it uses. (With a hub and a lawyer in Chromium: tests/tests/terminal_consultation.rs.)

use crate::common;

use kiosk::ConsultWords;
use slint::ComponentHandle;

#[test]
fn every_topic_the_hub_knows_has_its_own_name_on_the_terminal() {
    let t = common::terminal();
    let words = t.app.global::<ConsultWords>();
    let other = words.invoke_topic_name("other".into());
    let mut names = std::collections::BTreeSet::new();
    for topic in kiosk_core::consultation::TOPICS {
        let name = words.invoke_topic_name(topic.into());
        assert!(topic == "other" || name != other, "{topic} has no name");
        assert!(names.insert(name.to_string()), "{topic}: name used twice");
    }
}

#[test]
fn without_a_hub_the_service_is_not_offered() {
    let t = common::terminal();
    assert!(t.find_all("视频咨询律师").is_empty());
    // And a stray callback does nothing.
    t.kiosk
        .borrow_mut()
        .open_consultation(std::time::Instant::now());
    assert_eq!(t.page(), kiosk::Page::Home);
}
