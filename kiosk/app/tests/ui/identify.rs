//! The identification step, driven as a resident would, with the simulated
//! reader on a pseudo-terminal and the real driver reading it.

use crate::common;

use common::{Terminal, terminal, terminal_with_devices};
use kiosk::{
    IdentifyAdapter, IdentifyFailure, IdentifyStep, IdentitySource, Page, StatusKind, TypedError,
};
use kiosk_core::Screen;
use kiosk_idcard_sim::samples;
use slint::ComponentHandle;

fn adapter(t: &Terminal) -> IdentifyAdapter<'_> {
    t.app.global::<IdentifyAdapter>()
}

fn step(t: &Terminal) -> IdentifyStep {
    adapter(t).get_step()
}

fn place(t: &Terminal, key: &str) {
    let card = samples::by_key(key).expect("sample card");
    t.controls
        .reader
        .as_ref()
        .expect("simulated reader")
        .place_card(&card);
}

fn reader_ready(t: &Terminal) {
    t.pump_until("the reader to be ready", |t| {
        t.status_kinds().contains(&StatusKind::ReaderOk)
    });
}

#[test]
fn a_resident_card_placed_on_the_reader_shows_the_name_and_a_masked_number() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    t.tap("身份核验");
    assert_eq!(t.page(), Page::Identify);
    assert_eq!(step(&t), IdentifyStep::Waiting);
    place(&t, "resident");
    t.pump_until("the card to be read", |t| {
        step(t) == IdentifyStep::Identified
    });
    let a = adapter(&t);
    assert!(!a.get_name().is_empty());
    assert_eq!(a.get_source(), IdentitySource::ResidentCard);
    let shown = a.get_masked_number().to_string();
    let visible = shown.chars().filter(|c| *c != '*').count();
    assert_eq!(shown.chars().count(), 18);
    assert!(visible <= 7, "{shown} shows {visible} characters");
}

#[test]
fn each_card_type_is_read_and_named() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    for (key, source) in [
        ("resident-rare", IdentitySource::ResidentCard),
        ("foreign", IdentitySource::ForeignCard),
        ("hmt", IdentitySource::HmtCard),
    ] {
        t.tap("身份核验");
        place(&t, key);
        t.pump_until(key, |t| step(t) == IdentifyStep::Identified);
        assert_eq!(adapter(&t).get_source(), source, "{key}");
        t.controls.reader.as_ref().unwrap().remove_card();
        t.tap("首页");
    }
}

#[test]
fn an_expired_card_is_explained_and_another_can_be_tried() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    t.tap("身份核验");
    place(&t, "resident-expired");
    t.pump_until("the expired card to be refused", |t| {
        step(t) == IdentifyStep::Failed
    });
    assert_eq!(adapter(&t).get_failure(), IdentifyFailure::Expired);
    t.find("这张证件已经过了有效期。");
    t.controls.reader.as_ref().unwrap().remove_card();
    t.tap("重新读卡");
    place(&t, "resident");
    t.pump_until("the valid card", |t| step(t) == IdentifyStep::Identified);
}

#[test]
fn a_card_with_a_wrong_check_character_is_not_accepted() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    t.tap("身份核验");
    place(&t, "bad-check");
    t.pump_until("the invalid card to be refused", |t| {
        step(t) == IdentifyStep::Failed
    });
    assert_eq!(adapter(&t).get_failure(), IdentifyFailure::Invalid);
}

#[test]
fn an_unplugged_reader_is_shown_in_the_header_and_on_the_step_and_recovers() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    t.tap("身份核验");
    let reader = t.controls.reader.clone().unwrap();
    reader.unplug();
    t.pump_until("the reader to be reported lost", |t| {
        t.status_kinds().contains(&StatusKind::ReaderLost) && step(t) == IdentifyStep::Failed
    });
    assert_eq!(adapter(&t).get_failure(), IdentifyFailure::ReaderLost);
    reader.replug();
    t.pump_until("the reader to come back", |t| {
        step(t) == IdentifyStep::Waiting
    });
    place(&t, "resident");
    t.pump_until("a read after the replug", |t| {
        step(t) == IdentifyStep::Identified
    });
}

#[test]
fn the_card_is_not_read_before_a_service_asks_for_it() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    place(&t, "resident");
    // Several poll intervals on the home screen: nothing may be read.
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1200);
    t.pump_until("time to pass", |_| std::time::Instant::now() > until);
    assert!(t.kiosk.borrow().session().identification().is_none());
    assert!(adapter(&t).get_name().is_empty());
    t.tap("身份核验");
    t.pump_until("the card already on the reader", |t| {
        step(t) == IdentifyStep::Identified
    });
}

#[test]
fn idle_reset_wipes_what_was_read() {
    let t = terminal_with_devices(|_| {});
    reader_ready(&t);
    t.tap("身份核验");
    place(&t, "resident");
    t.pump_until("the card to be read", |t| {
        step(t) == IdentifyStep::Identified
    });
    let later = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    t.kiosk.borrow_mut().tick(later);
    assert_eq!(t.page(), Page::Home);
    assert!(adapter(&t).get_name().is_empty());
    assert!(adapter(&t).get_masked_number().is_empty());
    assert!(t.kiosk.borrow().session().identification().is_none());
}

#[test]
fn without_a_reader_the_resident_types_name_and_number() {
    let t = terminal();
    t.tap("身份核验");
    assert_eq!(step(&t), IdentifyStep::Typing);
    // Name by pinyin: "li" then the first candidate, "si" likewise.
    t.type_keys("li");
    t.kiosk.borrow_mut().candidate(0, std::time::Instant::now());
    t.type_keys("si");
    t.kiosk.borrow_mut().candidate(0, std::time::Instant::now());
    assert_eq!(adapter(&t).get_typed_name().chars().count(), 2);
    t.tap_field("身份证号码");
    for key in "11010519491231002".chars() {
        t.tap(&key.to_string());
    }
    t.tap("确认");
    assert_eq!(adapter(&t).get_typed_error(), TypedError::NumberIncomplete);
    t.tap("X");
    assert_eq!(adapter(&t).get_typed_number(), "110105 19491231 002X");
    t.tap("确认");
    assert_eq!(step(&t), IdentifyStep::Identified);
    assert_eq!(adapter(&t).get_source(), IdentitySource::Typed);
    assert_eq!(adapter(&t).get_masked_number(), "110***********002X");
    t.tap("完成");
    assert_eq!(t.kiosk.borrow().session().screen(), &Screen::Home);
    assert!(t.kiosk.borrow().session().identification().is_none());
    assert!(
        adapter(&t).get_name().is_empty(),
        "the screen forgets the name"
    );
    assert!(adapter(&t).get_masked_number().is_empty());
    assert!(adapter(&t).get_typed_number().is_empty());
}

#[test]
fn a_typed_number_never_reaches_the_search_box() {
    let t = terminal();
    t.tap("身份核验");
    t.tap_field("身份证号码");
    for key in "110105194912".chars() {
        t.tap(&key.to_string());
    }
    t.tap("返回");
    t.tap("搜一搜");
    let search = t.app.global::<kiosk::SearchAdapter>();
    assert_eq!(search.get_committed(), "");
    assert_eq!(t.kiosk.borrow().session().search_query(), "");
    t.type_keys("gong");
    assert!(!search.get_composing().contains("110105"));
    assert!(!t.kiosk.borrow().session().search_query().contains("110105"));
}

#[test]
fn a_typo_in_the_number_is_caught_by_the_check_character() {
    let t = terminal();
    t.tap("身份核验");
    t.type_keys("zhang");
    t.kiosk.borrow_mut().candidate(0, std::time::Instant::now());
    t.tap_field("身份证号码");
    for key in "110105194912310021".chars() {
        t.tap(&key.to_string());
    }
    t.tap("确认");
    assert_eq!(adapter(&t).get_typed_error(), TypedError::NumberCheckFailed);
    t.find("号码有误，请逐位核对（最后一位可能是 X）。");
}
