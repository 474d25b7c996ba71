//! Pinyin mode: conversion quality on residents' vocabulary and the
//! composing behaviour (commit, partial commit, backspace, paging).

use kiosk_ime::{DEFAULT_PAGE_SIZE, Dictionary, Edit, Engine, Key, MAX_COMPOSITION};

fn engine() -> Engine {
    Engine::new(Dictionary::embedded())
}

fn typed(letters: &str) -> Engine {
    let mut engine = engine();
    for c in letters.chars() {
        assert_eq!(engine.press(Key::Letter(c)), Edit::None, "typing {letters}");
    }
    engine
}

fn texts(engine: &Engine) -> Vec<&str> {
    engine
        .candidates()
        .iter()
        .map(|c| c.text.as_str())
        .collect()
}

fn first_page(letters: &str) -> Vec<String> {
    typed(letters)
        .candidates()
        .iter()
        .map(|c| c.text.clone())
        .collect()
}

fn first(letters: &str) -> String {
    typed(letters)
        .candidates()
        .first()
        .map(|c| c.text.clone())
        .unwrap_or_default()
}

#[test]
fn hunyin_offers_婚姻_first() {
    assert_eq!(first("hunyin"), "婚姻");
}

#[test]
fn lihun_offers_离婚_first() {
    assert_eq!(first("lihun"), "离婚");
}

#[test]
fn every_legal_term_is_first_for_its_full_pinyin() {
    let terms = include_str!("../../../assets/ime/legal_terms.txt");
    let mut wrong = Vec::new();
    for line in terms
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut fields = line.split_whitespace();
        let (Some(word), Some(pinyin)) = (fields.next(), fields.next()) else {
            panic!("malformed term line {line:?}");
        };
        let letters = pinyin.replace('\'', "");
        let got = first(&letters);
        if got != word {
            wrong.push(format!("{letters}: wanted {word}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn continuous_pinyin_finds_whole_phrases() {
    assert_eq!(first("hunyinfa"), "婚姻法");
    assert_eq!(first("lihunxieyi"), "离婚协议");
    assert_eq!(first("laodonghetong"), "劳动合同");
    assert_eq!(first("jiaotongshigu"), "交通事故");
}

#[test]
fn pinyin_no_single_entry_spells_is_composed_from_words() {
    assert_eq!(first("woxiangzixunlihundewenti"), "我想咨询离婚的问题");
}

#[test]
fn shorter_prefixes_follow_the_whole_input_then_single_characters() {
    let engine = typed("lihunxieyi");
    let consumed: Vec<usize> = engine.candidates().iter().map(|c| c.consumed).collect();
    assert_eq!(consumed[0], 10);
    assert!(consumed.windows(2).all(|w| w[0] >= w[1]), "{consumed:?}");
    let texts = texts(&engine);
    let lihun = texts
        .iter()
        .position(|t| *t == "离婚")
        .expect("离婚 offered");
    let li = texts.iter().position(|t| *t == "离").expect("离 offered");
    assert!(lihun < li);
}

#[test]
fn initials_alone_find_words() {
    let engine = typed("hy");
    let texts = texts(&engine);
    assert_eq!(texts[0], "婚姻");
    assert!(texts.contains(&"还要"), "{texts:?}");
    assert_eq!(engine.display_composition(), "h'y");
}

#[test]
fn an_unfinished_last_syllable_is_completed() {
    let hun = typed("hun");
    assert_eq!(&texts(&hun)[..2], ["婚", "混"]);
    assert_eq!(first("huny"), "婚姻");
    assert_eq!(first("zhaiji"), "宅基");
    assert_eq!(first("zhaijid"), "宅基地");
}

#[test]
fn a_complete_syllable_prefers_itself_to_longer_readings() {
    // 想 (xiang) is far more frequent than 先, but "xian" was typed.
    let texts = first_page("xian");
    assert!(!texts.iter().any(|t| t == "想"), "{texts:?}");
}

#[test]
fn candidates_are_ranked_by_frequency() {
    assert_eq!(first("shi"), "是");
    assert_eq!(first("de"), "的");
    assert_eq!(first("gongzi"), "工资");
    // Same reading, the legal term first: 公证 before 公正, 调解 before 调节.
    assert_eq!(first_page("gongzheng")[..2], ["公证", "公正"]);
    assert_eq!(first_page("tiaojie")[..2], ["调解", "调节"]);
}

#[test]
fn display_composition_separates_syllables_as_the_first_candidate_reads_them() {
    assert_eq!(typed("hunyin").display_composition(), "hun'yin");
    assert_eq!(typed("fangan").display_composition(), "fang'an");
    assert_eq!(typed("xian").display_composition(), "xian");
    assert_eq!(engine().display_composition(), "");
}

#[test]
fn composition_returns_the_raw_letters() {
    let engine = typed("hunyin");
    assert_eq!(engine.composition(), "hunyin");
    assert!(engine.is_composing());
}

#[test]
fn space_commits_the_first_candidate() {
    let mut engine = typed("lihun");
    assert_eq!(engine.press(Key::Space), Edit::Insert("离婚".into()));
    assert!(!engine.is_composing());
    assert!(engine.candidates().is_empty());
}

#[test]
fn space_without_composition_inserts_a_space() {
    assert_eq!(engine().press(Key::Space), Edit::Insert(" ".into()));
}

#[test]
fn picking_a_partial_candidate_keeps_the_rest_composing() {
    let mut engine = typed("nihao");
    let ni = engine
        .candidates()
        .iter()
        .position(|c| c.text == "你")
        .expect("你 on the first page");
    assert_eq!(engine.candidates()[ni].consumed, 2);
    assert_eq!(engine.press(Key::Candidate(ni)), Edit::Insert("你".into()));
    assert_eq!(engine.composition(), "hao");
    assert_eq!(engine.candidates()[0].text, "好");
    assert_eq!(engine.press(Key::Space), Edit::Insert("好".into()));
    assert!(!engine.is_composing());
}

#[test]
fn picking_a_candidate_past_the_page_does_nothing() {
    let mut engine = typed("nihao");
    let before = engine.candidates().to_vec();
    assert_eq!(engine.press(Key::Candidate(DEFAULT_PAGE_SIZE)), Edit::None);
    assert_eq!(engine.press(Key::Candidate(usize::MAX)), Edit::None);
    assert_eq!(engine.candidates(), &before[..]);
    assert_eq!(engine.composition(), "nihao");
}

#[test]
fn enter_commits_the_raw_letters() {
    let mut engine = typed("wifi");
    assert_eq!(engine.press(Key::Enter), Edit::Insert("wifi".into()));
    assert!(!engine.is_composing());
}

#[test]
fn enter_without_composition_is_the_fields_enter() {
    assert_eq!(engine().press(Key::Enter), Edit::Enter);
}

#[test]
fn backspace_removes_a_composing_letter_before_deleting_from_the_field() {
    let mut engine = typed("hun");
    assert_eq!(engine.press(Key::Backspace), Edit::None);
    assert_eq!(engine.composition(), "hu");
    assert_eq!(engine.press(Key::Backspace), Edit::None);
    assert_eq!(engine.press(Key::Backspace), Edit::None);
    assert!(!engine.is_composing());
    assert!(engine.candidates().is_empty());
    assert_eq!(engine.press(Key::Backspace), Edit::DeleteBackward);
}

#[test]
fn paging_moves_through_candidates_and_stops_at_the_ends() {
    let mut engine = typed("h");
    assert_eq!(engine.candidates().len(), DEFAULT_PAGE_SIZE);
    assert!(!engine.has_prev_page());
    assert!(engine.has_next_page());
    let page0 = engine.candidates().to_vec();

    assert_eq!(engine.press(Key::PrevPage), Edit::None);
    assert_eq!(engine.candidates(), &page0[..]);

    assert_eq!(engine.press(Key::NextPage), Edit::None);
    assert_eq!(engine.page(), 1);
    assert!(engine.has_prev_page());
    let page1 = engine.candidates().to_vec();
    assert!(page1.iter().all(|c| !page0.contains(c)));

    // A candidate index is relative to the page shown.
    let mut picked = typed("h");
    picked.press(Key::NextPage);
    assert_eq!(
        picked.press(Key::Candidate(0)),
        Edit::Insert(page1[0].text.clone())
    );

    assert_eq!(engine.press(Key::PrevPage), Edit::None);
    assert_eq!(engine.candidates(), &page0[..]);

    let mut pages = 1;
    while engine.has_next_page() {
        engine.press(Key::NextPage);
        pages += 1;
        assert!(!engine.candidates().is_empty());
    }
    let last = engine.candidates().to_vec();
    assert_eq!(engine.press(Key::NextPage), Edit::None);
    assert_eq!(engine.candidates(), &last[..]);
    assert!(pages > 10, "only {pages} pages for h");
}

#[test]
fn typing_another_letter_returns_to_the_first_page() {
    let mut engine = typed("h");
    engine.press(Key::NextPage);
    engine.press(Key::Letter('y'));
    assert_eq!(engine.page(), 0);
    assert_eq!(engine.candidates()[0].text, "婚姻");
}

#[test]
fn page_size_can_be_changed() {
    let mut engine = typed("shi");
    engine.set_page_size(5);
    assert_eq!(engine.candidates().len(), 5);
    engine.set_page_size(0);
    assert_eq!(engine.candidates().len(), 1);
}

#[test]
fn a_digit_ends_the_composition_with_its_conversion() {
    let mut engine = typed("nihao");
    assert_eq!(engine.press(Key::Digit(1)), Edit::Insert("你好1".into()));
    assert!(!engine.is_composing());
    assert_eq!(engine.press(Key::Digit(7)), Edit::Insert("7".into()));
    assert_eq!(engine.press(Key::Digit(10)), Edit::None);
}

#[test]
fn punctuation_ends_the_composition_with_its_conversion() {
    let mut engine = typed("nihao");
    assert_eq!(
        engine.press(Key::Letter('，')),
        Edit::Insert("你好，".into())
    );
    assert_eq!(engine.press(Key::Letter('。')), Edit::Insert("。".into()));
}

#[test]
fn a_shifted_letter_is_a_literal_capital() {
    let mut engine = engine();
    engine.press(Key::Shift);
    assert!(engine.is_shifted());
    assert_eq!(engine.press(Key::Letter('a')), Edit::Insert("A".into()));
    assert!(!engine.is_shifted());
    let mut composing = typed("ni");
    composing.press(Key::Shift);
    assert_eq!(
        composing.press(Key::Letter('b')),
        Edit::Insert("niB".into())
    );
    assert!(!composing.is_composing());
}

#[test]
fn letters_that_start_no_syllable_stay_composing_as_typed() {
    let mut engine = typed("i");
    assert!(engine.candidates().is_empty());
    assert_eq!(engine.display_composition(), "i");
    assert_eq!(engine.press(Key::Space), Edit::Insert("i".into()));

    // A trailing unparsable letter: 你好 still offered for what parses.
    let mut engine = typed("nihaoi");
    assert_eq!(engine.candidates()[0].text, "你好");
    assert_eq!(engine.candidates()[0].consumed, 5);
    assert_eq!(engine.display_composition(), "ni'hao'i");
    engine.press(Key::Space);
    assert_eq!(engine.composition(), "i");
}

#[test]
fn lve_is_accepted_for_lue() {
    assert_eq!(first("lve"), first("lue"));
    assert!(!first("lve").is_empty());
}

#[test]
fn composition_stops_growing_at_the_limit() {
    let engine = typed(&"a".repeat(MAX_COMPOSITION + 10));
    assert_eq!(engine.composition().len(), MAX_COMPOSITION);
}

#[test]
fn reset_discards_the_composition() {
    let mut engine = typed("lihun");
    engine.press(Key::Shift);
    engine.reset();
    assert!(!engine.is_composing());
    assert!(!engine.is_shifted());
    assert!(engine.candidates().is_empty());
    assert_eq!(engine.press(Key::Backspace), Edit::DeleteBackward);
}
