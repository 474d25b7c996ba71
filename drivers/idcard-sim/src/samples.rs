//! Sample cards for the simulated reader, and the builder that lays out
//! their 256-byte text blocks.
//!
//! **Every person here is fictitious.** Names, addresses and numbers were
//! made up for testing; the ID numbers are built from real area codes and
//! real dates only so that they pass the same checks a real card passes
//! (area code format, date, ISO 7064 MOD 11-2 check character), and the
//! two faulty cards fail exactly one check each.
//!
//! The layouts follow `reference/idcard-sam.md` ("Text block"): every field
//! is UTF-16LE, padded with spaces (`20 00`) to its fixed width; the type
//! letter at byte 248 tells a foreigner's permanent-residence card (`I`) and
//! a Hong Kong/Macao/Taiwan residence permit (`J`) from a resident card
//! (a space there).
//!
//! | key | what it exercises |
//! |---|---|
//! | `resident` | ordinary adult, 汉 |
//! | `resident-rare` | 壮; name and address with an Extension-A character (㛃) and one outside the BMP (𠮷, a surrogate pair) |
//! | `resident-longterm` | born 1946, valid to 长期 |
//! | `resident-expired` | valid-to date in the past |
//! | `foreign` | `I` card, 2017 layout, English and Chinese name, 15-character permit number |
//! | `hmt` | `J` card, Hong Kong resident, number starting 810000, pass number, issue count |
//! | `bad-check` | resident card whose ID number has a wrong check character |
//! | `bad-date` | resident card born on 2023-02-30 (check character otherwise valid) |

use kiosk_idcard::card::TextBlock;

/// One card the simulator can place on its reader.
#[derive(Debug, Clone)]
pub struct SampleCard {
    /// Short stable name, e.g. `resident-rare` (used by `kiosk sim` and tests).
    pub key: &'static str,
    /// One line of English describing what the card is for.
    pub label: &'static str,
    /// The card's 8-byte serial (the select reply). Distinct per sample.
    pub serial: [u8; 8],
    /// The 256-byte text block the read command returns.
    pub text: TextBlock,
}

/// Every sample card, the well-formed ones first.
pub fn all() -> Vec<SampleCard> {
    SPECS.iter().map(SampleSpec::card).collect()
}

/// The sample with this key.
pub fn by_key(key: &str) -> Option<SampleCard> {
    SPECS.iter().find(|s| s.key == key).map(SampleSpec::card)
}

/// Every key, in the order of [`all`].
pub fn keys() -> Vec<&'static str> {
    SPECS.iter().map(|s| s.key).collect()
}

/// The ISO 7064 MOD 11-2 check character (GB 11643) for the first 17
/// characters of an ID number; `None` unless they are 17 ASCII digits.
///
/// ```
/// use kiosk_idcard_sim::samples::check_character;
/// assert_eq!(check_character("11010519491231002"), Some('X'));
/// ```
pub fn check_character(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(char::from(CHECK[(sum % 11) as usize]))
}

/// The first 17 characters followed by their check character.
pub fn with_check_character(first17: &str) -> Option<String> {
    check_character(first17).map(|c| format!("{first17}{c}"))
}

/// The three text-block layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Resident identity card (居民身份证).
    Resident,
    /// Foreigner's permanent-residence card, 2017 layout (type `I`).
    Foreign,
    /// Hong Kong/Macao/Taiwan residence permit (type `J`).
    HongKongMacaoTaiwan,
}

/// A field did not fit its slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field} needs {needed} bytes of UTF-16LE but its slot has {slot}")]
pub struct FieldTooLong {
    pub field: &'static str,
    pub needed: usize,
    pub slot: usize,
}

/// Builds a text block from fields.
///
/// Fields not set stay blank (spaces). Values are written as given, with no
/// validation beyond width: the faulty samples are built with it too.
///
/// ```
/// use kiosk_idcard_sim::samples::{TextBlockBuilder, with_check_character};
/// let block = TextBlockBuilder::resident()
///     .name("王小明")
///     .gender('1')
///     .nation("01")
///     .birth("19850312")
///     .address("北京市朝阳区建国路88号")
///     .id_number(&with_check_character("11010519850312123").unwrap())
///     .authority("北京市公安局朝阳分局")
///     .valid_from("20150601")
///     .valid_to("20350601")
///     .build()
///     .unwrap();
/// assert_eq!(&block.0[0..6], &[0x8B, 0x73, 0x0F, 0x5C, 0x0E, 0x66]);
/// ```
#[derive(Debug, Clone)]
pub struct TextBlockBuilder {
    layout: Layout,
    name: String,
    gender: String,
    nation: String,
    birth: String,
    address: String,
    id_number: String,
    authority: String,
    valid_from: String,
    valid_to: String,
    pass_number: String,
    issue_count: String,
    english_name: String,
    nationality: String,
    card_version: String,
    authority_code: String,
}

impl TextBlockBuilder {
    fn new(layout: Layout) -> Self {
        TextBlockBuilder {
            layout,
            name: String::new(),
            gender: String::new(),
            nation: String::new(),
            birth: String::new(),
            address: String::new(),
            id_number: String::new(),
            authority: String::new(),
            valid_from: String::new(),
            valid_to: String::new(),
            pass_number: String::new(),
            issue_count: String::new(),
            english_name: String::new(),
            nationality: String::new(),
            card_version: String::new(),
            authority_code: String::new(),
        }
    }

    /// A resident card.
    pub fn resident() -> Self {
        Self::new(Layout::Resident)
    }

    /// A foreigner's permanent-residence card (2017, `I`).
    pub fn foreign() -> Self {
        Self::new(Layout::Foreign)
    }

    /// A Hong Kong/Macao/Taiwan residence permit (`J`).
    pub fn hmt() -> Self {
        Self::new(Layout::HongKongMacaoTaiwan)
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Name (resident, `J`) or Chinese name (`I`); 15 UTF-16 units.
    pub fn name(mut self, v: &str) -> Self {
        self.name = v.into();
        self
    }

    /// Gender code: `0` unknown, `1` male, `2` female, `9` unstated.
    pub fn gender(mut self, code: char) -> Self {
        self.gender = code.into();
        self
    }

    /// Nation code, two digits (`01` 汉 … `56`, `97`, `98`); resident and `J`.
    pub fn nation(mut self, code: &str) -> Self {
        self.nation = code.into();
        self
    }

    /// Birth date `YYYYMMDD`.
    pub fn birth(mut self, v: &str) -> Self {
        self.birth = v.into();
        self
    }

    /// Address, 35 UTF-16 units; resident and `J`.
    pub fn address(mut self, v: &str) -> Self {
        self.address = v.into();
        self
    }

    /// ID number (resident, `J`: 18 characters) or permit number (`I`: 15).
    pub fn id_number(mut self, v: &str) -> Self {
        self.id_number = v.into();
        self
    }

    /// Issuing authority, 15 UTF-16 units; resident and `J`.
    pub fn authority(mut self, v: &str) -> Self {
        self.authority = v.into();
        self
    }

    /// Valid from (`I`: issue date), `YYYYMMDD`.
    pub fn valid_from(mut self, v: &str) -> Self {
        self.valid_from = v.into();
        self
    }

    /// Valid to (`I`: expiry), `YYYYMMDD` or `长期`.
    pub fn valid_to(mut self, v: &str) -> Self {
        self.valid_to = v.into();
        self
    }

    /// `J` only: the travel-permit number, 9 characters.
    pub fn pass_number(mut self, v: &str) -> Self {
        self.pass_number = v.into();
        self
    }

    /// `J` only: how many times the permit was issued, two digits.
    pub fn issue_count(mut self, v: &str) -> Self {
        self.issue_count = v.into();
        self
    }

    /// `I` only: English name, 60 UTF-16 units.
    pub fn english_name(mut self, v: &str) -> Self {
        self.english_name = v.into();
        self
    }

    /// `I` only: nationality, GB/T 2659 three-letter code.
    pub fn nationality(mut self, v: &str) -> Self {
        self.nationality = v.into();
        self
    }

    /// `I` only: card version, two characters.
    pub fn card_version(mut self, v: &str) -> Self {
        self.card_version = v.into();
        self
    }

    /// `I` only: issuing authority code, four characters.
    pub fn authority_code(mut self, v: &str) -> Self {
        self.authority_code = v.into();
        self
    }

    /// The fields of this layout as `(name, offset, size, value)`.
    fn fields(&self) -> Vec<(&'static str, usize, usize, &str)> {
        let common = [
            ("name", 0, 30, self.name.as_str()),
            ("gender", 30, 2, &self.gender),
            ("nation", 32, 4, &self.nation),
            ("birth", 36, 16, &self.birth),
            ("address", 52, 70, &self.address),
            ("id_number", 122, 36, &self.id_number),
            ("authority", 158, 30, &self.authority),
            ("valid_from", 188, 16, &self.valid_from),
            ("valid_to", 204, 16, &self.valid_to),
        ];
        match self.layout {
            Layout::Resident => common.to_vec(),
            Layout::HongKongMacaoTaiwan => {
                let mut v = common.to_vec();
                v.extend([
                    ("pass_number", 220, 18, self.pass_number.as_str()),
                    ("issue_count", 238, 4, &self.issue_count),
                    ("type", 248, 2, "J"),
                ]);
                v
            }
            Layout::Foreign => vec![
                ("english_name", 0, 120, self.english_name.as_str()),
                ("gender", 120, 2, &self.gender),
                ("permit_number", 122, 30, &self.id_number),
                ("nationality", 152, 6, &self.nationality),
                ("chinese_name", 158, 30, &self.name),
                ("issue_date", 188, 16, &self.valid_from),
                ("expiry", 204, 16, &self.valid_to),
                ("birth", 220, 16, &self.birth),
                ("card_version", 236, 4, &self.card_version),
                ("authority_code", 240, 8, &self.authority_code),
                ("type", 248, 2, "I"),
            ],
        }
    }

    /// The 256-byte block: every field UTF-16LE, space padded; reserved
    /// bytes are spaces too.
    pub fn build(&self) -> Result<TextBlock, FieldTooLong> {
        let mut block = [0u8; 256];
        for pair in block.chunks_exact_mut(2) {
            pair.copy_from_slice(&[0x20, 0x00]);
        }
        for (field, offset, slot, value) in self.fields() {
            let bytes: Vec<u8> = value.encode_utf16().flat_map(u16::to_le_bytes).collect();
            if bytes.len() > slot {
                return Err(FieldTooLong {
                    field,
                    needed: bytes.len(),
                    slot,
                });
            }
            block[offset..offset + bytes.len()].copy_from_slice(&bytes);
        }
        Ok(TextBlock(block))
    }
}

/// The facts of one sample, kept as plain strings so the table reads like a
/// card.
struct SampleSpec {
    key: &'static str,
    label: &'static str,
    serial: [u8; 8],
    layout: Layout,
    name: &'static str,
    gender: char,
    nation: &'static str,
    birth: &'static str,
    address: &'static str,
    /// The first 17 characters for resident and `J` cards (the check
    /// character is computed unless `check` overrides it); the whole permit
    /// number for `I`.
    number: &'static str,
    /// A fixed check character (for the faulty sample), instead of the
    /// computed one.
    check: Option<char>,
    authority: &'static str,
    valid_from: &'static str,
    valid_to: &'static str,
    pass_number: &'static str,
    issue_count: &'static str,
    english_name: &'static str,
    nationality: &'static str,
}

impl SampleSpec {
    fn card(&self) -> SampleCard {
        let number = match (self.layout, self.check) {
            (Layout::Foreign, _) => self.number.to_string(),
            (_, Some(c)) => format!("{}{c}", self.number),
            (_, None) => with_check_character(self.number).expect("sample numbers are digits"),
        };
        let builder = match self.layout {
            Layout::Resident => TextBlockBuilder::resident(),
            Layout::Foreign => TextBlockBuilder::foreign()
                .english_name(self.english_name)
                .nationality(self.nationality)
                .card_version("17")
                .authority_code("1100"),
            Layout::HongKongMacaoTaiwan => TextBlockBuilder::hmt()
                .pass_number(self.pass_number)
                .issue_count(self.issue_count),
        };
        let text = builder
            .name(self.name)
            .gender(self.gender)
            .nation(self.nation)
            .birth(self.birth)
            .address(self.address)
            .id_number(&number)
            .authority(self.authority)
            .valid_from(self.valid_from)
            .valid_to(self.valid_to)
            .build()
            .expect("sample fields fit their slots");
        SampleCard {
            key: self.key,
            label: self.label,
            serial: self.serial,
            text,
        }
    }
}

const BLANK: SampleSpec = SampleSpec {
    key: "",
    label: "",
    serial: [0; 8],
    layout: Layout::Resident,
    name: "",
    gender: '0',
    nation: "",
    birth: "",
    address: "",
    number: "",
    check: None,
    authority: "",
    valid_from: "",
    valid_to: "",
    pass_number: "",
    issue_count: "",
    english_name: "",
    nationality: "",
};

/// The samples. All people are fictitious.
const SPECS: &[SampleSpec] = &[
    SampleSpec {
        key: "resident",
        label: "Resident card, ordinary adult (Han), Beijing",
        serial: [0x01, 0x52, 0x45, 0x53, 0x49, 0x44, 0x30, 0x01],
        name: "王小明",
        gender: '1',
        nation: "01",
        birth: "19850312",
        address: "北京市朝阳区建国路88号院3号楼2单元501室",
        number: "11010519850312123",
        authority: "北京市公安局朝阳分局",
        valid_from: "20150601",
        valid_to: "20350601",
        ..BLANK
    },
    SampleSpec {
        key: "resident-rare",
        label: "Resident card, Zhuang, rare characters (Extension A and a surrogate pair) in name and address",
        serial: [0x02, 0x52, 0x41, 0x52, 0x45, 0x30, 0x30, 0x02],
        name: "韦𠮷㛃",
        gender: '2',
        nation: "08",
        birth: "19920718",
        address: "广西壮族自治区南宁市武鸣区城厢镇𠮷祥路㛃村12号",
        number: "45011019920718024",
        authority: "南宁市公安局武鸣分局",
        valid_from: "20180105",
        valid_to: "20280105",
        ..BLANK
    },
    SampleSpec {
        key: "resident-longterm",
        label: "Resident card of an elder born in 1946, valid long-term",
        serial: [0x03, 0x4C, 0x4F, 0x4E, 0x47, 0x30, 0x30, 0x03],
        name: "赵淑兰",
        gender: '2',
        nation: "01",
        birth: "19460905",
        address: "上海市黄浦区南京东路100弄8号",
        number: "31010119460905042",
        authority: "上海市公安局黄浦分局",
        valid_from: "20080315",
        valid_to: "长期",
        ..BLANK
    },
    SampleSpec {
        key: "resident-expired",
        label: "Resident card that expired in 2022",
        serial: [0x04, 0x45, 0x58, 0x50, 0x49, 0x52, 0x30, 0x04],
        name: "刘建国",
        gender: '1',
        nation: "01",
        birth: "19950420",
        address: "广东省广州市天河区天河北路233号",
        number: "44010619950420031",
        authority: "广州市公安局天河区分局",
        valid_from: "20120820",
        valid_to: "20220820",
        ..BLANK
    },
    SampleSpec {
        key: "foreign",
        label: "Foreigner's permanent-residence card (2017 layout, type I), German national",
        serial: [0x05, 0x46, 0x4F, 0x52, 0x45, 0x49, 0x47, 0x05],
        layout: Layout::Foreign,
        english_name: "MUSTERMANN, ERIKA",
        name: "穆斯特曼·艾丽卡",
        gender: '2',
        nationality: "DEU",
        birth: "19840812",
        number: "DEU110084081211",
        valid_from: "20190610",
        valid_to: "20290610",
        ..BLANK
    },
    SampleSpec {
        key: "hmt",
        label: "Hong Kong resident's residence permit (type J)",
        serial: [0x06, 0x48, 0x4D, 0x54, 0x30, 0x30, 0x30, 0x06],
        layout: Layout::HongKongMacaoTaiwan,
        name: "陈家乐",
        gender: '1',
        birth: "19900521",
        address: "广东省深圳市福田区福华路168号",
        number: "81000019900521001",
        authority: "深圳市公安局福田分局",
        valid_from: "20230901",
        valid_to: "20280901",
        pass_number: "H12345678",
        issue_count: "01",
        ..BLANK
    },
    SampleSpec {
        key: "bad-check",
        label: "Faulty: resident card whose ID number has a wrong check character",
        serial: [0x07, 0x42, 0x41, 0x44, 0x43, 0x48, 0x4B, 0x07],
        name: "孙志强",
        gender: '1',
        nation: "01",
        birth: "19780614",
        address: "北京市朝阳区望京街10号",
        // The right check character is 4.
        number: "11010519780614053",
        check: Some('7'),
        authority: "北京市公安局朝阳分局",
        valid_from: "20160301",
        valid_to: "20360301",
        ..BLANK
    },
    SampleSpec {
        key: "bad-date",
        label: "Faulty: resident card with the birth date 2023-02-30",
        serial: [0x08, 0x42, 0x41, 0x44, 0x44, 0x41, 0x54, 0x08],
        name: "周小宝",
        gender: '1',
        nation: "01",
        birth: "20230230",
        address: "北京市朝阳区望京街10号",
        number: "11010520230230015",
        authority: "北京市公安局朝阳分局",
        valid_from: "20240301",
        valid_to: "20290301",
        ..BLANK
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn field(block: &TextBlock, offset: usize, size: usize) -> String {
        let units: Vec<u16> = block.0[offset..offset + size]
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        String::from_utf16(&units).unwrap().trim_end().to_string()
    }

    #[test]
    fn check_character_matches_the_reference_vector() {
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert_eq!(
            with_check_character("11010519850312123").as_deref(),
            Some("110105198503121234")
        );
        assert_eq!(check_character("1101051949123100"), None);
        assert_eq!(check_character("1101051949123100A"), None);
        assert_eq!(check_character("１１０１０５１９４９１２３１００２"), None);
    }

    #[test]
    fn keys_are_unique_and_serials_distinct() {
        let cards = all();
        assert!(cards.len() >= 8);
        for (i, a) in cards.iter().enumerate() {
            for b in &cards[i + 1..] {
                assert_ne!(a.key, b.key);
                assert_ne!(a.serial, b.serial);
            }
            assert!(!a.label.contains('\n'));
            assert_eq!(by_key(a.key).unwrap().text, a.text);
        }
        for key in [
            "resident",
            "resident-rare",
            "resident-longterm",
            "resident-expired",
            "foreign",
            "hmt",
            "bad-check",
            "bad-date",
        ] {
            assert!(keys().contains(&key), "{key}");
        }
        assert!(by_key("nobody").is_none());
    }

    #[test]
    fn well_formed_samples_have_valid_numbers_and_types() {
        for card in all() {
            let t = &card.text;
            match card.key {
                "foreign" => {
                    assert_eq!(field(t, 248, 2), "I");
                    assert_eq!(field(t, 122, 30).len(), 15);
                    assert_eq!(field(t, 0, 120), "MUSTERMANN, ERIKA");
                }
                key => {
                    let number = field(t, 122, 36);
                    let check = check_character(&number[..17]).unwrap();
                    assert_eq!(number.ends_with(check), key != "bad-check", "{key}");
                    assert_eq!(&number[6..14], field(t, 36, 16), "{key}");
                    let kind = field(t, 248, 2);
                    if key == "hmt" {
                        assert_eq!(kind, "J");
                        assert!(number.starts_with("810000"));
                        assert_eq!(field(t, 220, 18), "H12345678");
                        assert_eq!(field(t, 238, 4), "01");
                    } else {
                        assert_eq!(kind, "");
                    }
                }
            }
        }
    }

    #[test]
    fn rare_characters_survive_as_surrogate_pairs() {
        let card = by_key("resident-rare").unwrap();
        assert_eq!(field(&card.text, 0, 30), "韦𠮷㛃");
        // 𠮷 U+20BB7 is D842 DFB7 in UTF-16.
        assert_eq!(&card.text.0[2..6], &[0x42, 0xD8, 0xB7, 0xDF]);
        assert_eq!(field(&card.text, 32, 4), "08");
        assert!(field(&card.text, 52, 70).contains('𠮷'));
    }

    #[test]
    fn long_term_is_written_in_chinese() {
        let card = by_key("resident-longterm").unwrap();
        assert_eq!(field(&card.text, 204, 16), "长期");
        assert!(field(&card.text, 36, 16).starts_with("194"));
    }

    #[test]
    fn too_long_a_field_is_refused() {
        let err = TextBlockBuilder::resident()
            .name("一二三四五六七八九十一二三四五六")
            .build()
            .unwrap_err();
        assert_eq!(err.field, "name");
        assert_eq!(err.slot, 30);
    }
}
