//! The card's 256-byte text block as typed values, and the ID-number rules.
//!
//! Pure code like `crate::codec`: it takes a [`TextBlock`] and returns a
//! [`Card`] or a [`CardError`]. Three layouts exist (resident card, foreigner
//! permanent-residence card `I`, Hong Kong/Macao/Taiwan residence permit `J`);
//! the type character at byte 248 chooses. Text is UTF-16LE padded with
//! spaces (NUL padding is tolerated); surrogate pairs (rare characters in
//! names and addresses) are decoded, an unpaired surrogate is an error.
//!
//! # Privacy
//! A `Card` is personal data. Its `Debug` prints the card kind and the masked
//! number only; [`IdNumber`]'s `Debug` and `Display` print the masked form;
//! no [`CardError`] message contains a name, an address or a number. There is
//! one masking rule for screens, technician output and logs:
//! [`mask_id_number`].

use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;

/// Re-exported here because the text block is what this module parses.
pub use crate::codec::TextBlock;

/// Which document the card is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// 居民身份证 (any type character other than `I` and `J`).
    Resident,
    /// 外国人永久居留身份证, type character `I` (2017 layout).
    ForeignPermanent,
    /// 港澳台居民居住证, type character `J`.
    HkMacaoTaiwan,
}

impl CardKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            CardKind::Resident => "居民身份证",
            CardKind::ForeignPermanent => "外国人永久居留身份证",
            CardKind::HkMacaoTaiwan => "港澳台居民居住证",
        }
    }
}

/// Gender code (GB/T 2261.1): 0 unknown, 1 male, 2 female, 9 unstated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Unknown,
    Male,
    Female,
    Unstated,
}

impl Gender {
    pub fn label_zh(self) -> &'static str {
        match self {
            Gender::Unknown => "未知",
            Gender::Male => "男",
            Gender::Female => "女",
            Gender::Unstated => "未说明",
        }
    }

    fn from_code(code: &str) -> Option<Gender> {
        match code {
            "0" => Some(Gender::Unknown),
            "1" => Some(Gender::Male),
            "2" => Some(Gender::Female),
            "9" => Some(Gender::Unstated),
            _ => None,
        }
    }
}

/// Nation (民族) name for a GB/T 3304 code: 01..56, 97 (其他), 98
/// (外国血统中国籍人士). Names without the 族 suffix, as cards print them.
pub fn nation_name(code: u8) -> Option<&'static str> {
    const NATIONS: [&str; 56] = [
        "汉",
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
    ];
    match code {
        1..=56 => NATIONS.get(usize::from(code) - 1).copied(),
        97 => Some("其他"),
        98 => Some("外国血统中国籍人士"),
        _ => None,
    }
}

/// When the card stops being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Valid through this day.
    On(NaiveDate),
    /// 长期: no end date.
    LongTerm,
}

/// Why a text block or a number was rejected. Messages never contain the
/// number, a name or an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("ID number check character does not match (ISO 7064 MOD 11-2)")]
    BadCheckCharacter,
    #[error("ID number has the wrong length or characters")]
    BadNumberFormat,
    #[error("impossible date in field {field}")]
    ImpossibleDate { field: &'static str },
    #[error("gender code is not 0, 1, 2 or 9")]
    BadGender,
    #[error("nation code {0} is not in GB/T 3304")]
    UnknownNation(u8),
    #[error("unreadable text in field {field}")]
    BadText { field: &'static str },
    #[error("birth date in the ID number differs from the birth date field")]
    NumberBirthMismatch,
    /// A card type this driver does not know the layout of, e.g. the 2023
    /// foreigner permanent-residence card (believed to be `Y`): not a fault
    /// of the card, so it must not be reported as invalid data.
    #[error("card type {0:?} is not supported")]
    UnsupportedCardType(char),
}

/// Masks an ID number for display. THE one rule used everywhere (screens,
/// technician output, logs):
///
/// * 14 characters or more: keep the first 3 and the last 4 characters,
///   every other character becomes `*`: `11010519491231002X` →
///   `110***********002X`; a 15-character foreigner permit →
///   `ABC********0001`.
/// * shorter than 14: keep only the last `min(4, len / 4)` characters
///   (`"12345678"` → `******78`; fewer than 4 characters → all `*`).
/// * the length (in characters) is kept; at most 7 characters are ever
///   visible (the rule never shows more than 6 + 4).
pub fn mask_id_number(s: &str) -> String {
    let len = s.chars().count();
    let (head, tail) = if len >= 14 {
        (3, 4)
    } else {
        (0, (len / 4).min(4))
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= len - tail { c } else { '*' })
        .collect()
}

/// A validated ID number. `Debug` and `Display` print the masked form;
/// [`as_str`](IdNumber::as_str) gives the full number for explicit use only.
///
/// Accepted forms:
/// * 18 characters: 17 digits and a digit or `X` (a lower-case `x` is
///   upper-cased), whose last character is the ISO 7064 MOD 11-2 check
///   character (GB 11643). This covers resident cards, HK/Macao/Taiwan
///   permits and the 2023 foreigner card (starting with 9).
/// * Only through [`IdNumber::parse_foreign_permit`]: the 15-character
///   foreigner permit number of the 2017 layout (3 letters for the
///   nationality and 12 digits, in practice), accepted as 15 ASCII upper-case
///   letters or digits *without* a check: its check rule is not public.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl Drop for IdNumber {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl IdNumber {
    /// An 18-character number with a valid check character.
    pub fn parse(s: &str) -> Result<IdNumber, CardError> {
        if s.len() != 18 || !s.is_ascii() {
            return Err(CardError::BadNumberFormat);
        }
        let upper = s.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let (body, check) = bytes.split_at(17);
        if !body.iter().all(u8::is_ascii_digit) || !(check[0].is_ascii_digit() || check[0] == b'X')
        {
            return Err(CardError::BadNumberFormat);
        }
        if check_character(body) != Some(check[0]) {
            return Err(CardError::BadCheckCharacter);
        }
        Ok(IdNumber(upper))
    }

    /// A foreigner permit number: 15 upper-case ASCII letters or digits (2017
    /// layout, not checked), or an 18-character number as for
    /// [`parse`](IdNumber::parse).
    pub fn parse_foreign_permit(s: &str) -> Result<IdNumber, CardError> {
        if s.len() == 15 {
            if s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                Ok(IdNumber(s.to_string()))
            } else {
                Err(CardError::BadNumberFormat)
            }
        } else {
            IdNumber::parse(s)
        }
    }

    /// The full number. Only for explicit use (e.g. a service that must send
    /// it); never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number under [`mask_id_number`].
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }

    /// The birth date digits (YYYYMMDD) of an 18-character number.
    fn birth_digits(&self) -> Option<&str> {
        (self.0.len() == 18).then(|| self.0.get(6..14)).flatten()
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The ISO 7064 MOD 11-2 check character for 17 ASCII digits.
fn check_character(digits: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d.wrapping_sub(b'0')) * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied()
}

/// A card's text fields, typed. Personal data: `Debug` prints the kind and
/// the masked number only.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    pub kind: CardKind,
    /// Trimmed. Foreigner cards: the Chinese name if present, else the
    /// English name.
    pub name: String,
    /// Foreigner cards only.
    pub english_name: Option<String>,
    pub gender: Gender,
    /// Resident cards only.
    pub nation: Option<&'static str>,
    /// Foreigner cards only: the GB/T 2659 code as given (e.g. `CAN`).
    pub nationality: Option<String>,
    pub birth: NaiveDate,
    /// Resident and HK/Macao/Taiwan cards.
    pub address: Option<String>,
    pub number: IdNumber,
    /// Issuing authority; for foreigner cards its code as given.
    pub authority: String,
    pub valid_from: NaiveDate,
    pub valid_to: Expiry,
    /// HK/Macao/Taiwan permits: the travel permit number.
    pub pass_number: Option<String>,
    /// HK/Macao/Taiwan permits: how many times a permit was issued.
    pub issue_count: Option<u8>,
}

impl Drop for Card {
    // Wipe personal data from memory when the card is dropped (the
    // resident's session is over); the number wipes itself.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.name.zeroize();
        if let Some(n) = self.english_name.as_mut() {
            n.zeroize();
        }
        if let Some(a) = self.address.as_mut() {
            a.zeroize();
        }
        self.authority.zeroize();
        if let Some(p) = self.pass_number.as_mut() {
            p.zeroize();
        }
    }
}

impl Card {
    /// Expired when `today` is after the last valid day; long-term cards
    /// never expire.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        match self.valid_to {
            Expiry::On(last) => today > last,
            Expiry::LongTerm => false,
        }
    }
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("kind", &self.kind)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

/// Decodes UTF-16LE; `None` on an odd length or an unpaired surrogate.
pub(crate) fn decode_utf16le(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// Trims the padding of a card field: spaces and NULs at both ends.
pub(crate) fn trim_padding(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\0')
}

/// Byte ranges of the fields.
mod layout {
    use std::ops::Range;

    pub const TYPE: Range<usize> = 248..250;

    // Resident card; the J permit shares it up to VALID_TO.
    pub const NAME: Range<usize> = 0..30;
    pub const GENDER: Range<usize> = 30..32;
    pub const NATION: Range<usize> = 32..36;
    pub const BIRTH: Range<usize> = 36..52;
    pub const ADDRESS: Range<usize> = 52..122;
    pub const NUMBER: Range<usize> = 122..158;
    pub const AUTHORITY: Range<usize> = 158..188;
    pub const VALID_FROM: Range<usize> = 188..204;
    pub const VALID_TO: Range<usize> = 204..220;
    pub const J_PASS_NUMBER: Range<usize> = 220..238;
    pub const J_ISSUE_COUNT: Range<usize> = 238..242;

    // Foreigner permanent-residence card, 2017 layout (`I`).
    pub const I_ENGLISH_NAME: Range<usize> = 0..120;
    pub const I_GENDER: Range<usize> = 120..122;
    pub const I_NUMBER: Range<usize> = 122..152;
    pub const I_NATIONALITY: Range<usize> = 152..158;
    pub const I_CHINESE_NAME: Range<usize> = 158..188;
    pub const I_ISSUED: Range<usize> = 188..204;
    pub const I_EXPIRY: Range<usize> = 204..220;
    pub const I_BIRTH: Range<usize> = 220..236;
    pub const I_AUTHORITY: Range<usize> = 240..248;
}

/// A text field: decoded, trimmed, free of control characters.
fn text(block: &[u8; 256], range: Range<usize>, field: &'static str) -> Result<String, CardError> {
    let bytes = block.get(range).ok_or(CardError::BadText { field })?;
    let decoded = decode_utf16le(bytes).ok_or(CardError::BadText { field })?;
    let trimmed = trim_padding(&decoded);
    if trimmed.chars().any(char::is_control) {
        return Err(CardError::BadText { field });
    }
    Ok(trimmed.to_string())
}

/// A text field that must not be empty.
fn required(
    block: &[u8; 256],
    range: Range<usize>,
    field: &'static str,
) -> Result<String, CardError> {
    let s = text(block, range, field)?;
    if s.is_empty() {
        return Err(CardError::BadText { field });
    }
    Ok(s)
}

fn optional(
    block: &[u8; 256],
    range: Range<usize>,
    field: &'static str,
) -> Result<Option<String>, CardError> {
    text(block, range, field).map(|s| (!s.is_empty()).then_some(s))
}

fn date(
    block: &[u8; 256],
    range: Range<usize>,
    field: &'static str,
) -> Result<NaiveDate, CardError> {
    let s = text(block, range, field)?;
    parse_date(&s, field)
}

fn parse_date(s: &str, field: &'static str) -> Result<NaiveDate, CardError> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::BadText { field });
    }
    let num = |r: Range<usize>| s.get(r).and_then(|d| d.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(4..6), num(6..8)) else {
        return Err(CardError::BadText { field });
    };
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or(CardError::ImpossibleDate { field })
}

fn expiry(
    block: &[u8; 256],
    range: Range<usize>,
    field: &'static str,
) -> Result<Expiry, CardError> {
    let s = text(block, range, field)?;
    if s == "长期" {
        return Ok(Expiry::LongTerm);
    }
    parse_date(&s, field).map(Expiry::On)
}

fn gender(block: &[u8; 256], range: Range<usize>) -> Result<Gender, CardError> {
    let s = text(block, range, "gender").map_err(|_| CardError::BadGender)?;
    Gender::from_code(&s).ok_or(CardError::BadGender)
}

/// The card kind from the type character at byte 248.
pub fn card_kind(block: &TextBlock) -> CardKind {
    match block.0.get(layout::TYPE) {
        Some([b'I', 0]) => CardKind::ForeignPermanent,
        Some([b'J', 0]) => CardKind::HkMacaoTaiwan,
        _ => CardKind::Resident,
    }
}

/// Parses a text block into a [`Card`].
///
/// Checks: every text field decodes, required fields are present, the
/// gender and nation codes are known, dates exist in the calendar, the
/// number's form and check character are valid (see [`IdNumber`]), and for
/// 18-character numbers on resident and J cards the birth date in the number
/// equals the birth date field.
pub fn parse_text_block(block: &TextBlock) -> Result<Card, CardError> {
    if let Some([b'Y', 0]) = block.0.get(layout::TYPE) {
        return Err(CardError::UnsupportedCardType('Y'));
    }
    match card_kind(block) {
        CardKind::ForeignPermanent => parse_foreigner(&block.0),
        kind => parse_resident_like(&block.0, kind),
    }
}

fn parse_resident_like(b: &[u8; 256], kind: CardKind) -> Result<Card, CardError> {
    use layout::*;
    let name = required(b, NAME, "name")?;
    let gender = gender(b, GENDER)?;
    let nation = match kind {
        CardKind::Resident => {
            let code = text(b, NATION, "nation")?;
            if code.is_empty() || code.len() > 2 || !code.bytes().all(|c| c.is_ascii_digit()) {
                return Err(CardError::BadText { field: "nation" });
            }
            let code: u8 = code
                .parse()
                .map_err(|_| CardError::BadText { field: "nation" })?;
            Some(nation_name(code).ok_or(CardError::UnknownNation(code))?)
        }
        // Permits leave the nation field blank.
        _ => None,
    };
    let birth = date(b, BIRTH, "birth")?;
    let address = optional(b, ADDRESS, "address")?;
    let number = IdNumber::parse(&required(b, NUMBER, "number")?)?;
    if number.birth_digits() != Some(birth.format("%Y%m%d").to_string().as_str()) {
        return Err(CardError::NumberBirthMismatch);
    }
    let authority = required(b, AUTHORITY, "authority")?;
    let valid_from = date(b, VALID_FROM, "valid_from")?;
    let valid_to = expiry(b, VALID_TO, "valid_to")?;
    let (pass_number, issue_count) = match kind {
        CardKind::HkMacaoTaiwan => {
            let pass = optional(b, J_PASS_NUMBER, "pass_number")?;
            let count = text(b, J_ISSUE_COUNT, "issue_count")?;
            let count = if count.is_empty() {
                None
            } else {
                Some(count.parse::<u8>().map_err(|_| CardError::BadText {
                    field: "issue_count",
                })?)
            };
            (pass, count)
        }
        _ => (None, None),
    };
    Ok(Card {
        kind,
        name,
        english_name: None,
        gender,
        nation,
        nationality: None,
        birth,
        address,
        number,
        authority,
        valid_from,
        valid_to,
        pass_number,
        issue_count,
    })
}

fn parse_foreigner(b: &[u8; 256]) -> Result<Card, CardError> {
    use layout::*;
    let english_name = optional(b, I_ENGLISH_NAME, "english_name")?;
    let chinese_name = optional(b, I_CHINESE_NAME, "chinese_name")?;
    let name = chinese_name
        .or_else(|| english_name.clone())
        .ok_or(CardError::BadText { field: "name" })?;
    let gender = gender(b, I_GENDER)?;
    let number = IdNumber::parse_foreign_permit(&required(b, I_NUMBER, "number")?)?;
    let nationality = optional(b, I_NATIONALITY, "nationality")?;
    let valid_from = date(b, I_ISSUED, "valid_from")?;
    let valid_to = expiry(b, I_EXPIRY, "valid_to")?;
    let birth = date(b, I_BIRTH, "birth")?;
    let authority = text(b, I_AUTHORITY, "authority")?;
    Ok(Card {
        kind: CardKind::ForeignPermanent,
        name,
        english_name,
        gender,
        nation: None,
        nationality,
        birth,
        address: None,
        number,
        authority,
        valid_from,
        valid_to,
        pass_number: None,
        issue_count: None,
    })
}

/// Writes `s` as UTF-16LE into `out`, padded with spaces. Text that does not
/// fit is cut at a character boundary (a surrogate pair is never split).
fn put_text(out: &mut [u8; 256], range: Range<usize>, s: &str) {
    let Some(field) = out.get_mut(range) else {
        return;
    };
    let mut units = Vec::with_capacity(field.len() / 2);
    for c in s.chars() {
        let mut buf = [0u16; 2];
        let enc = c.encode_utf16(&mut buf);
        if (units.len() + enc.len()) * 2 > field.len() {
            break;
        }
        units.extend_from_slice(enc);
    }
    for (i, pair) in field.chunks_exact_mut(2).enumerate() {
        let unit = units.get(i).copied().unwrap_or(u16::from(b' '));
        pair.copy_from_slice(&unit.to_le_bytes());
    }
}

fn put_date(out: &mut [u8; 256], range: Range<usize>, d: NaiveDate) {
    put_text(out, range, &d.format("%Y%m%d").to_string());
}

fn put_expiry(out: &mut [u8; 256], range: Range<usize>, e: Expiry) {
    match e {
        Expiry::On(d) => put_date(out, range, d),
        Expiry::LongTerm => put_text(out, range, "长期"),
    }
}

fn gender_code(g: Gender) -> &'static str {
    match g {
        Gender::Unknown => "0",
        Gender::Male => "1",
        Gender::Female => "2",
        Gender::Unstated => "9",
    }
}

fn nation_code(name: &str) -> Option<u8> {
    (1..=98).find(|&c| nation_name(c) == Some(name))
}

/// The text block a card carries: the inverse of [`parse_text_block`] (used by
/// the reader simulator and by tests). Fields that do not fit are cut; an
/// absent nation is written blank. For foreigner cards the name written to
/// the Chinese-name field is `name` unless it equals the English name.
pub fn encode_text_block(card: &Card) -> TextBlock {
    use layout::*;
    let mut b = [0u8; 256];
    put_text(&mut b, 0..256, "");
    match card.kind {
        CardKind::Resident | CardKind::HkMacaoTaiwan => {
            put_text(&mut b, NAME, &card.name);
            put_text(&mut b, GENDER, gender_code(card.gender));
            let nation = card
                .nation
                .and_then(nation_code)
                .map(|c| format!("{c:02}"))
                .unwrap_or_default();
            put_text(&mut b, NATION, &nation);
            put_date(&mut b, BIRTH, card.birth);
            put_text(&mut b, ADDRESS, card.address.as_deref().unwrap_or(""));
            put_text(&mut b, NUMBER, card.number.as_str());
            put_text(&mut b, AUTHORITY, &card.authority);
            put_date(&mut b, VALID_FROM, card.valid_from);
            put_expiry(&mut b, VALID_TO, card.valid_to);
            if card.kind == CardKind::HkMacaoTaiwan {
                put_text(
                    &mut b,
                    J_PASS_NUMBER,
                    card.pass_number.as_deref().unwrap_or(""),
                );
                let count = card
                    .issue_count
                    .map(|c| format!("{c:02}"))
                    .unwrap_or_default();
                put_text(&mut b, J_ISSUE_COUNT, &count);
                put_text(&mut b, TYPE, "J");
            }
        }
        CardKind::ForeignPermanent => {
            let english = card.english_name.as_deref().unwrap_or("");
            put_text(&mut b, I_ENGLISH_NAME, english);
            put_text(&mut b, I_GENDER, gender_code(card.gender));
            put_text(&mut b, I_NUMBER, card.number.as_str());
            put_text(
                &mut b,
                I_NATIONALITY,
                card.nationality.as_deref().unwrap_or(""),
            );
            let chinese = if card.name == english { "" } else { &card.name };
            put_text(&mut b, I_CHINESE_NAME, chinese);
            put_date(&mut b, I_ISSUED, card.valid_from);
            put_expiry(&mut b, I_EXPIRY, card.valid_to);
            put_date(&mut b, I_BIRTH, card.birth);
            put_text(&mut b, I_AUTHORITY, &card.authority);
            put_text(&mut b, TYPE, "I");
        }
    }
    TextBlock(b)
}
