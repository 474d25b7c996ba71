//! The dictionary data and its loader.

use kiosk_ime::{DictError, Dictionary};

#[test]
fn the_embedded_dictionary_loads_with_the_general_vocabulary() {
    let dict = Dictionary::load_embedded().expect("embedded data is valid");
    assert!(dict.len() > 300_000, "only {} entries", dict.len());
    assert_eq!(dict.words_for("ni'hao").first(), Some(&"你好"));
    assert!(dict.words_for("cai'li").contains(&"彩礼"));
}

#[test]
fn embedded_is_built_once_and_shared() {
    let a = Dictionary::embedded();
    let b = Dictionary::embedded();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

#[test]
fn traditional_characters_are_not_offered() {
    let dict = Dictionary::embedded();
    for (pinyin, traditional) in [("tiao", "條"), ("zhai", "債"), ("men", "們")] {
        assert!(
            !dict.words_for(pinyin).contains(&traditional),
            "{traditional}"
        );
    }
}

#[test]
fn legal_terms_rank_above_same_pinyin_words() {
    let dict = Dictionary::embedded();
    assert_eq!(dict.words_for("gong'zheng")[..2], ["公证", "公正"]);
    assert_eq!(dict.words_for("qian'xin")[0], "欠薪");
    // Terms missing from the general list are added.
    assert_eq!(dict.words_for("leng'jing'qi")[0], "冷静期");
}

const SMALL: &str = "#syllables hun yin li\n婚姻\thun'yin\t100\n混音\thun'yin\t10\n婚\thun\t50\n";

#[test]
fn a_dictionary_without_syllable_inventory_is_rejected() {
    let err = Dictionary::from_sources("婚姻\thun'yin\t100\n", "").unwrap_err();
    assert!(matches!(err, DictError::MissingInventory));
}

#[test]
fn malformed_lines_are_skipped() {
    let general = format!(
        "{SMALL}broken line\n坏\thun\tnot-a-number\n零\thun\t0\n怪\tzzz\t5\n\t\t\n长\t{}\t1\n",
        vec!["hun"; 300].join("'")
    );
    let dict = Dictionary::from_sources(&general, "bad term line\n未知\tqqq\n").unwrap();
    assert_eq!(dict.len(), 3);
    assert_eq!(dict.words_for("hun'yin"), ["婚姻", "混音"]);
}

#[test]
fn terms_are_boosted_to_lead_their_pinyin_and_added_when_missing() {
    let dict = Dictionary::from_sources(SMALL, "# comment\n混音\thun'yin\n离婚\tli'hun\n").unwrap();
    assert_eq!(dict.words_for("hun'yin"), ["混音", "婚姻"]);
    assert_eq!(dict.words_for("li'hun"), ["离婚"]);
}

#[test]
fn an_empty_dictionary_has_no_words() {
    let dict = Dictionary::empty();
    assert!(dict.is_empty());
    assert!(dict.words_for("hun").is_empty());
}

#[test]
fn the_dictionary_can_be_built_on_another_thread_and_shared() {
    fn shareable<T: Send + Sync>() {}
    fn movable<T: Send>() {}
    shareable::<Dictionary>();
    movable::<kiosk_ime::Engine>();
    let dict = std::thread::spawn(Dictionary::embedded).join().unwrap();
    assert!(!dict.is_empty());
}

#[test]
fn a_term_listed_twice_is_added_once() {
    let dict = Dictionary::from_sources(SMALL, "离婚\tli'hun\n离婚\tli'hun\n离\tli\n").unwrap();
    assert_eq!(dict.words_for("li'hun"), ["离婚"]);
    assert_eq!(dict.words_for("li"), ["离"]);
    assert_eq!(dict.len(), 5);
}
