//! Latin and digit modes, and switching between modes.

use kiosk_ime::{Dictionary, Edit, Engine, Key, Mode};

fn engine_in(mode: Mode) -> Engine {
    let mut engine = Engine::new(Dictionary::empty().into());
    engine.set_mode(mode);
    engine
}

#[test]
fn a_new_engine_starts_in_pinyin_mode() {
    assert_eq!(Engine::new(Dictionary::empty().into()).mode(), Mode::Pinyin);
}

#[test]
fn latin_letters_go_straight_into_the_field() {
    let mut engine = engine_in(Mode::Latin);
    assert_eq!(engine.press(Key::Letter('z')), Edit::Insert("z".into()));
    assert!(!engine.is_composing());
    assert!(engine.candidates().is_empty());
    assert_eq!(engine.press(Key::Space), Edit::Insert(" ".into()));
    assert_eq!(engine.press(Key::Digit(3)), Edit::Insert("3".into()));
    assert_eq!(engine.press(Key::Letter('@')), Edit::Insert("@".into()));
    assert_eq!(engine.press(Key::Backspace), Edit::DeleteBackward);
    assert_eq!(engine.press(Key::Enter), Edit::Enter);
}

#[test]
fn latin_shift_capitalises_one_letter() {
    let mut engine = engine_in(Mode::Latin);
    assert_eq!(engine.press(Key::Shift), Edit::None);
    assert!(engine.is_shifted());
    assert_eq!(engine.press(Key::Letter('z')), Edit::Insert("Z".into()));
    assert!(!engine.is_shifted());
    assert_eq!(engine.press(Key::Letter('h')), Edit::Insert("h".into()));
}

#[test]
fn latin_shift_pressed_twice_is_released() {
    let mut engine = engine_in(Mode::Latin);
    engine.press(Key::Shift);
    engine.press(Key::Shift);
    assert_eq!(engine.press(Key::Letter('a')), Edit::Insert("a".into()));
}

#[test]
fn latin_mode_ignores_candidate_and_paging_keys() {
    let mut engine = engine_in(Mode::Latin);
    for key in [Key::Candidate(0), Key::NextPage, Key::PrevPage] {
        assert_eq!(engine.press(key), Edit::None);
    }
}

#[test]
fn digits_mode_accepts_digits_and_x_only() {
    let mut engine = engine_in(Mode::Digits);
    for d in 0..=9u8 {
        assert_eq!(engine.press(Key::Digit(d)), Edit::Insert(d.to_string()));
    }
    assert_eq!(engine.press(Key::Letter('x')), Edit::Insert("X".into()));
    assert_eq!(engine.press(Key::Letter('X')), Edit::Insert("X".into()));
    for c in ['a', 'y', 'Z', '中', '-', ' '] {
        assert_eq!(engine.press(Key::Letter(c)), Edit::None, "{c:?}");
    }
    assert_eq!(engine.press(Key::Digit(10)), Edit::None);
    assert_eq!(engine.press(Key::Space), Edit::None);
    assert_eq!(engine.press(Key::Shift), Edit::None);
    assert_eq!(engine.press(Key::Backspace), Edit::DeleteBackward);
    assert_eq!(engine.press(Key::Enter), Edit::Enter);
    assert!(!engine.is_composing());
}

#[test]
fn switching_mode_commits_composing_letters_as_typed() {
    let mut engine = Engine::new(Dictionary::embedded());
    for c in "lihun".chars() {
        engine.press(Key::Letter(c));
    }
    assert_eq!(engine.set_mode(Mode::Digits), Edit::Insert("lihun".into()));
    assert_eq!(engine.mode(), Mode::Digits);
    assert!(!engine.is_composing());
    assert!(engine.candidates().is_empty());
    assert_eq!(engine.display_composition(), "");
}

#[test]
fn switching_mode_releases_shift() {
    let mut engine = engine_in(Mode::Latin);
    engine.press(Key::Shift);
    assert_eq!(engine.set_mode(Mode::Pinyin), Edit::None);
    assert!(!engine.is_shifted());
}

#[test]
fn setting_the_current_mode_keeps_the_composition() {
    let mut engine = Engine::new(Dictionary::embedded());
    engine.press(Key::Letter('h'));
    assert_eq!(engine.set_mode(Mode::Pinyin), Edit::None);
    assert_eq!(engine.composition(), "h");
}

#[test]
fn pinyin_without_a_dictionary_still_composes_and_commits_letters() {
    let mut engine = Engine::new(Dictionary::empty().into());
    engine.press(Key::Letter('n'));
    engine.press(Key::Letter('i'));
    assert!(engine.candidates().is_empty());
    assert_eq!(engine.press(Key::Space), Edit::Insert("ni".into()));
}
