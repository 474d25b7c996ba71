//! The text block as a specification: three layouts, dates, numbers, rare
//! characters, and the one masking rule.

use chrono::NaiveDate;
use kiosk_idcard::card::*;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date exists")
}

fn number(s: &str) -> IdNumber {
    IdNumber::parse(s).expect("test number is valid")
}

fn resident() -> Card {
    Card {
        kind: CardKind::Resident,
        name: "张三".into(),
        english_name: None,
        gender: Gender::Male,
        nation: Some("汉"),
        nationality: None,
        birth: date(1949, 12, 31),
        address: Some("北京市东城区测试胡同1号".into()),
        number: number("11010519491231002X"),
        authority: "北京市公安局东城分局".into(),
        valid_from: date(2015, 3, 1),
        valid_to: Expiry::On(date(2035, 3, 1)),
        pass_number: None,
        issue_count: None,
    }
}

fn hk_permit() -> Card {
    Card {
        kind: CardKind::HkMacaoTaiwan,
        name: "陈大文".into(),
        english_name: None,
        gender: Gender::Female,
        nation: None,
        nationality: None,
        birth: date(1995, 8, 15),
        address: Some("广东省深圳市福田区测试路2号".into()),
        number: number("810000199508150045"),
        authority: "深圳市公安局".into(),
        valid_from: date(2019, 1, 2),
        valid_to: Expiry::On(date(2024, 1, 2)),
        pass_number: Some("H12345678".into()),
        issue_count: Some(1),
    }
}

fn foreigner() -> Card {
    Card {
        kind: CardKind::ForeignPermanent,
        name: "约翰".into(),
        english_name: Some("SMITH, JOHN".into()),
        gender: Gender::Male,
        nation: None,
        nationality: Some("CAN".into()),
        birth: date(1980, 2, 29),
        address: None,
        number: IdNumber::parse_foreign_permit("CAN110080022901").expect("permit"),
        authority: "1500".into(),
        valid_from: date(2018, 6, 1),
        valid_to: Expiry::On(date(2028, 6, 1)),
        pass_number: None,
        issue_count: None,
    }
}

/// Overwrites a UTF-16LE field (space padded) in a block.
fn put(block: &mut TextBlock, at: usize, size: usize, s: &str) {
    let mut units: Vec<u16> = s.encode_utf16().collect();
    units.resize(size / 2, u16::from(b' '));
    for (i, u) in units.iter().enumerate() {
        block.0[at + 2 * i..at + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
}

#[test]
fn a_resident_card_parses_into_its_fields() {
    let card = resident();
    let parsed = parse_text_block(&encode_text_block(&card)).expect("parses");
    assert_eq!(parsed, card);
    assert_eq!(parsed.kind.label_zh(), "居民身份证");
    assert_eq!(parsed.gender.label_zh(), "男");
}

#[test]
fn a_resident_card_with_the_reference_field_offsets_parses() {
    // Built by hand from the reference table, not by the encoder.
    let mut block = TextBlock([0; 256]);
    put(&mut block, 0, 256, "");
    put(&mut block, 0, 30, "李四");
    put(&mut block, 30, 2, "2");
    put(&mut block, 32, 4, "03");
    put(&mut block, 36, 16, "19900101");
    put(&mut block, 52, 70, "广东省深圳市南山区测试街3号");
    put(&mut block, 122, 36, "440306199001011236");
    put(&mut block, 158, 30, "深圳市公安局南山分局");
    put(&mut block, 188, 16, "20100505");
    put(&mut block, 204, 16, "20300505");
    let card = parse_text_block(&block).expect("parses");
    assert_eq!(card.name, "李四");
    assert_eq!(card.gender, Gender::Female);
    assert_eq!(card.nation, Some("回"));
    assert_eq!(card.birth, date(1990, 1, 1));
    assert_eq!(card.address.as_deref(), Some("广东省深圳市南山区测试街3号"));
    assert_eq!(card.number.as_str(), "440306199001011236");
    assert_eq!(card.authority, "深圳市公安局南山分局");
    assert_eq!(card.valid_from, date(2010, 5, 5));
    assert_eq!(card.valid_to, Expiry::On(date(2030, 5, 5)));
}

#[test]
fn a_hong_kong_macao_taiwan_permit_parses_with_pass_number_and_issue_count() {
    let card = hk_permit();
    let block = encode_text_block(&card);
    assert_eq!(&block.0[248..250], &[b'J', 0]);
    let parsed = parse_text_block(&block).expect("parses");
    assert_eq!(parsed, card);
    assert_eq!(parsed.kind.label_zh(), "港澳台居民居住证");
}

#[test]
fn a_foreigner_permanent_residence_card_parses_with_its_own_layout() {
    let card = foreigner();
    let block = encode_text_block(&card);
    assert_eq!(&block.0[248..250], &[b'I', 0]);
    let parsed = parse_text_block(&block).expect("parses");
    assert_eq!(parsed, card);
    assert_eq!(parsed.kind.label_zh(), "外国人永久居留身份证");
}

#[test]
fn a_foreigner_without_a_chinese_name_is_named_in_english() {
    let mut card = foreigner();
    card.name = "SMITH, JOHN".into();
    let parsed = parse_text_block(&encode_text_block(&card)).expect("parses");
    assert_eq!(parsed.name, "SMITH, JOHN");
    assert_eq!(parsed.english_name.as_deref(), Some("SMITH, JOHN"));
}

#[test]
fn a_2023_foreigner_number_of_18_digits_gets_the_check_character() {
    assert!(IdNumber::parse_foreign_permit("911240198803050014").is_ok());
    assert_eq!(
        IdNumber::parse_foreign_permit("911240198803050015"),
        Err(CardError::BadCheckCharacter)
    );
    assert_eq!(
        IdNumber::parse_foreign_permit("can110080022901"),
        Err(CardError::BadNumberFormat)
    );
}

#[test]
fn long_term_validity_is_read_from_the_chinese_word() {
    let mut card = resident();
    card.valid_to = Expiry::LongTerm;
    let block = encode_text_block(&card);
    let parsed = parse_text_block(&block).expect("parses");
    assert_eq!(parsed.valid_to, Expiry::LongTerm);
    assert!(!parsed.is_expired(date(2100, 1, 1)));
}

#[test]
fn a_card_is_expired_only_after_its_last_valid_day() {
    let card = resident();
    assert!(!card.is_expired(date(2035, 3, 1)));
    assert!(card.is_expired(date(2035, 3, 2)));
}

#[test]
fn a_bad_check_character_is_rejected() {
    assert_eq!(
        IdNumber::parse("110105194912310021"),
        Err(CardError::BadCheckCharacter)
    );
    let mut block = encode_text_block(&resident());
    put(&mut block, 122, 36, "110105194912310021");
    assert_eq!(parse_text_block(&block), Err(CardError::BadCheckCharacter));
}

#[test]
fn id_numbers_follow_mod_11_2() {
    assert_eq!(number("11010519491231002X").as_str(), "11010519491231002X");
    // Lower-case x is accepted and normalised.
    assert_eq!(number("11010519491231002x").as_str(), "11010519491231002X");
    for bad in [
        "",
        "1101051949123100",
        "11010519491231002XX",
        "1101051949123100AX",
        "X10105194912310021",
        "１１０１０５１９４９１２３１００２X",
    ] {
        assert_eq!(
            IdNumber::parse(bad),
            Err(CardError::BadNumberFormat),
            "{bad}"
        );
    }
}

#[test]
fn an_impossible_date_is_rejected_with_its_field() {
    let mut block = encode_text_block(&resident());
    put(&mut block, 188, 16, "20230230");
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::ImpossibleDate {
            field: "valid_from"
        })
    );
    let mut block = encode_text_block(&resident());
    put(&mut block, 204, 16, "20231301");
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::ImpossibleDate { field: "valid_to" })
    );
    // The birth date is checked before the number.
    let mut block = encode_text_block(&resident());
    put(&mut block, 36, 16, "20230230");
    put(&mut block, 122, 36, "110105202302300016");
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::ImpossibleDate { field: "birth" })
    );
    let mut block = encode_text_block(&resident());
    put(&mut block, 36, 16, "1949123");
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::BadText { field: "birth" })
    );
}

#[test]
fn the_birth_date_in_the_number_must_match_the_birth_field() {
    let mut block = encode_text_block(&resident());
    put(&mut block, 36, 16, "19491230");
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::NumberBirthMismatch)
    );
}

#[test]
fn names_and_addresses_with_rare_characters_decode_surrogate_pairs() {
    let mut card = resident();
    // U+2A6A5 and U+20BB7 are outside the BMP: two UTF-16 units each.
    card.name = "王\u{2A6A5}".into();
    card.address = Some("四川省\u{20BB7}县测试村".into());
    let parsed = parse_text_block(&encode_text_block(&card)).expect("parses");
    assert_eq!(parsed.name, "王\u{2A6A5}");
    assert_eq!(parsed.address.as_deref(), Some("四川省\u{20BB7}县测试村"));
}

#[test]
fn an_unpaired_surrogate_is_bad_text() {
    let mut block = encode_text_block(&resident());
    block.0[2..4].copy_from_slice(&0xD842u16.to_le_bytes());
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::BadText { field: "name" })
    );
}

#[test]
fn nul_padding_is_tolerated_like_space_padding() {
    let mut block = encode_text_block(&resident());
    for i in (4..30).step_by(2) {
        block.0[i] = 0;
        block.0[i + 1] = 0;
    }
    assert_eq!(parse_text_block(&block).expect("parses").name, "张三");
}

#[test]
fn gender_and_nation_codes_are_checked() {
    let mut block = encode_text_block(&resident());
    put(&mut block, 30, 2, "3");
    assert_eq!(parse_text_block(&block), Err(CardError::BadGender));
    let mut block = encode_text_block(&resident());
    put(&mut block, 32, 4, "57");
    assert_eq!(parse_text_block(&block), Err(CardError::UnknownNation(57)));
    let mut block = encode_text_block(&resident());
    put(&mut block, 32, 4, "06");
    assert_eq!(parse_text_block(&block).expect("parses").nation, Some("苗"));
}

#[test]
fn the_nation_table_covers_01_to_56_97_and_98() {
    assert_eq!(nation_name(1), Some("汉"));
    assert_eq!(nation_name(5), Some("维吾尔"));
    assert_eq!(nation_name(29), Some("柯尔克孜"));
    assert_eq!(nation_name(56), Some("基诺"));
    assert_eq!(nation_name(97), Some("其他"));
    assert_eq!(nation_name(98), Some("外国血统中国籍人士"));
    for code in [0, 57, 96, 99, 255] {
        assert_eq!(nation_name(code), None);
    }
    assert_eq!((1..=56).filter_map(nation_name).count(), 56);
}

#[test]
fn the_mask_keeps_three_and_four_characters_of_long_numbers() {
    assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
    assert_eq!(mask_id_number("CAN110080022901"), "CAN********2901");
    assert_eq!(mask_id_number("12345678901234"), "123*******1234");
}

#[test]
fn the_mask_keeps_only_a_short_tail_of_short_strings() {
    assert_eq!(mask_id_number("1234567890123"), "**********123");
    assert_eq!(mask_id_number("12345678"), "******78");
    assert_eq!(mask_id_number("123"), "***");
    assert_eq!(mask_id_number(""), "");
    assert_eq!(mask_id_number("张三李四"), "***四");
}

#[test]
fn id_numbers_and_cards_print_only_masked_numbers_and_no_names() {
    let card = resident();
    assert_eq!(card.number.to_string(), "110***********002X");
    assert_eq!(card.number.masked(), "110***********002X");
    let debug = format!("{card:?} {:?}", card.number);
    assert!(!debug.contains("11010519491231002X"), "{debug}");
    assert!(!debug.contains("张三"), "{debug}");
    assert!(!debug.contains("北京"), "{debug}");
    assert!(debug.contains("110***********002X"), "{debug}");
}

#[test]
fn card_error_messages_carry_no_personal_data() {
    let errors = [
        CardError::BadCheckCharacter,
        CardError::BadNumberFormat,
        CardError::ImpossibleDate { field: "birth" },
        CardError::BadGender,
        CardError::UnknownNation(57),
        CardError::BadText { field: "name" },
        CardError::NumberBirthMismatch,
    ];
    for e in errors {
        let message = e.to_string();
        // English, and no run of digits long enough to be part of a number.
        assert!(message.is_ascii(), "{message}");
        let longest_digit_run = message
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_digit_run <= 4, "{message}");
    }
}

proptest! {
    #[test]
    fn any_256_bytes_parse_or_fail_without_panicking(bytes in prop::collection::vec(any::<u8>(), 256)) {
        let block = TextBlock(bytes.try_into().expect("256 bytes"));
        let _ = parse_text_block(&block);
    }

    #[test]
    fn the_mask_keeps_the_length_and_shows_at_most_seven_characters(s in "\\PC{0,40}") {
        let masked = mask_id_number(&s);
        prop_assert_eq!(masked.chars().count(), s.chars().count());
        let visible = masked
            .chars()
            .zip(s.chars())
            .filter(|(m, o)| m == o && *m != '*')
            .count();
        prop_assert!(visible <= 7);
    }
}

#[test]
fn a_card_type_of_unknown_layout_is_reported_as_unsupported_not_as_invalid() {
    let mut block = encode_text_block(&resident());
    put(&mut block, 248, 2, "Y");
    assert_eq!(
        parse_text_block(&block),
        Err(CardError::UnsupportedCardType('Y'))
    );
}
