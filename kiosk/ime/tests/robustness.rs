//! Whatever the keyboard sends, in whatever order, the engine neither
//! panics nor reaches an inconsistent state.

use std::sync::Arc;

use kiosk_ime::{DEFAULT_PAGE_SIZE, Dictionary, Edit, Engine, Key, MAX_COMPOSITION, Mode};
use proptest::prelude::*;

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        8 => proptest::char::range('a', 'z').prop_map(Key::Letter),
        1 => any::<char>().prop_map(Key::Letter),
        1 => proptest::sample::select(vec!['X', 'x', 'A', 'v', '\'', '，', '中', '\u{0}', '\n'])
            .prop_map(Key::Letter),
        1 => any::<u8>().prop_map(Key::Digit),
        1 => Just(Key::Space),
        2 => Just(Key::Backspace),
        1 => Just(Key::Enter),
        1 => Just(Key::Shift),
        1 => (0usize..12).prop_map(Key::Candidate),
        1 => any::<usize>().prop_map(Key::Candidate),
        1 => Just(Key::NextPage),
        1 => Just(Key::PrevPage),
    ]
}

#[derive(Clone, Debug)]
enum Action {
    Press(Key),
    SetMode(Mode),
    Reset,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        20 => key().prop_map(Action::Press),
        1 => proptest::sample::select(vec![Mode::Pinyin, Mode::Latin, Mode::Digits])
            .prop_map(Action::SetMode),
        1 => Just(Action::Reset),
    ]
}

fn check_invariants(engine: &Engine) {
    let composition = engine.composition();
    assert!(composition.len() <= MAX_COMPOSITION);
    assert!(composition.bytes().all(|b| b.is_ascii_lowercase()));
    if engine.mode() != Mode::Pinyin {
        assert!(composition.is_empty());
    }
    let shown: String = engine
        .display_composition()
        .chars()
        .filter(|&c| c != '\'')
        .collect();
    assert_eq!(shown, composition);
    assert!(engine.candidates().len() <= DEFAULT_PAGE_SIZE);
    if composition.is_empty() {
        assert!(engine.candidates().is_empty());
    }
    for candidate in engine.candidates() {
        assert!(!candidate.text.is_empty());
        assert!((1..=composition.len()).contains(&candidate.consumed));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_key_sequences_never_panic_and_keep_state_consistent(
        actions in proptest::collection::vec(action(), 0..80)
    ) {
        let mut engine = Engine::new(Dictionary::embedded());
        for action in actions {
            let mode = engine.mode();
            let edit = match action {
                Action::Press(key) => engine.press(key),
                Action::SetMode(mode) => engine.set_mode(mode),
                Action::Reset => { engine.reset(); Edit::None }
            };
            if let Edit::Insert(text) = &edit {
                prop_assert!(!text.is_empty());
                if mode == Mode::Digits && matches!(action, Action::Press(_)) {
                    prop_assert!(text.chars().all(|c| c.is_ascii_digit() || c == 'X'), "{text:?}");
                }
            }
            check_invariants(&engine);
        }
    }

    #[test]
    fn any_letters_convert_without_panicking(letters in "[a-z]{1,40}") {
        let mut engine = Engine::new(Dictionary::embedded());
        for c in letters.chars() {
            engine.press(Key::Letter(c));
        }
        check_invariants(&engine);
        // Committing candidates one after another always ends composing.
        for _ in 0..MAX_COMPOSITION + 1 {
            if !engine.is_composing() { break; }
            engine.press(Key::Space);
            check_invariants(&engine);
        }
        prop_assert!(!engine.is_composing());
    }

    #[test]
    fn the_loader_survives_arbitrary_text(general in ".{0,400}", terms in ".{0,200}") {
        let general = format!("#syllables a ai an hun yin\n{general}");
        if let Ok(dict) = Dictionary::from_sources(&general, &terms) {
            let mut engine = Engine::new(Arc::new(dict));
            for c in "hunyinaian".chars() {
                engine.press(Key::Letter(c));
                check_invariants(&engine);
            }
        }
    }
}
