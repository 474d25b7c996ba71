//! The identification step: who the resident is, for a service that must
//! know (a consultation, an application).
//!
//! A service opens it with a [`Purpose`], which the screen uses to say why
//! the card is needed and what will be kept. The card reader's events and
//! the resident's taps move it between [`Step`]s; typed entry of name and
//! number is the fallback when there is no card or the reader is broken.
//!
//! Privacy: an [`Identity`] holds only the name, the number and the card's
//! kind (never the photo or fingerprint, which the driver drops), lives only
//! as long as the step or the service that took it, and overwrites its
//! memory when dropped. On screen the number only appears through
//! [`Identity::masked_number`], the one masking rule of the product.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kiosk_idcard::card::{Card, CardKind, Expiry, IdNumber, mask_id_number};
use zeroize::Zeroize;

/// Why a service asks who the resident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// 身份核验 from the home screen: read the card and show what was read.
    Verify,
    /// 视频咨询律师: the lawyer sees the name and the masked number once
    /// the call is accepted.
    Consultation,
}

/// What the terminal knows about its card reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderState {
    /// The configuration says this terminal has no reader.
    NotInstalled,
    /// Starting; no answer from the reader yet.
    Connecting,
    Ready,
    /// The reader stopped answering (unplugged, broken).
    Lost,
}

/// Where an identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    Card(CardKind),
    /// Typed by the resident: not verified by a card.
    Typed,
}

/// The resident, as much as a service needs.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    number: String,
    pub source: IdentitySource,
    /// Last day of validity, or None for long-term or typed identities.
    pub valid_to: Option<NaiveDate>,
}

impl Identity {
    /// The number as it may be shown: see [`mask_id_number`].
    pub fn masked_number(&self) -> String {
        mask_id_number(&self.number)
    }

    /// The full number, for a service that must send it to its office.
    /// Never for display, receipts or logs.
    pub fn number_for_service(&self) -> &str {
        &self.number
    }

    fn from_card(card: &Card) -> Identity {
        Identity {
            name: card.name.clone(),
            number: card.number.as_str().to_owned(),
            source: IdentitySource::Card(card.kind),
            valid_to: match card.valid_to {
                Expiry::On(date) => Some(date),
                Expiry::LongTerm => None,
            },
        }
    }
}

impl std::fmt::Debug for Identity {
    // Logs may print an identity by accident: never the name or number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("source", &self.source)
            .field("number", &self.masked_number())
            .finish_non_exhaustive()
    }
}

impl Drop for Identity {
    fn drop(&mut self) {
        self.name.zeroize();
        self.number.zeroize();
    }
}

/// Why identification did not succeed; each has its own message on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A card is on the reader but could not be read (moved, damaged, not
    /// a second-generation card).
    Unreadable,
    /// The card was read but its data is not valid (wrong check character,
    /// impossible date): possibly not a genuine card.
    Invalid,
    /// The card's validity ended before today.
    Expired,
    /// The reader stopped answering.
    ReaderLost,
}

/// Problems with typed entry, shown next to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedError {
    NameMissing,
    NameTooLong,
    NumberIncomplete,
    /// 18 characters, but the check character does not match: a typo.
    NumberCheckFailed,
}

/// Which typed field the keyboard writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedField {
    Name,
    Number,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Asking the resident to place the card; the reader is polled.
    WaitingForCard,
    /// A card is on the reader and being read.
    Reading,
    Identified(Identity),
    Failed(Failure),
    /// Typing name and number instead of reading a card.
    Typing,
}

/// The longest name accepted by typed entry (the card's field holds 15).
pub const MAX_NAME_CHARS: usize = 30;

/// How long the step waits for a card before it says that none was found
/// and how to place it (or to type instead).
pub const NO_CARD_HINT_AFTER: Duration = Duration::from_secs(12);

#[derive(Clone)]
pub struct Identification {
    purpose: Purpose,
    step: Step,
    typed_name: String,
    typed_number: String,
    typed_field: TypedField,
    typed_error: Option<TypedError>,
    /// When the current wait for a card began (seen by [`Identification::tick`]).
    waiting_since: Option<Instant>,
}

impl Identification {
    /// Starts the step; without a working reader it goes straight to what
    /// can be done (typing, or a message that the reader is not answering).
    pub fn new(purpose: Purpose, reader: ReaderState) -> Self {
        let step = match reader {
            ReaderState::NotInstalled => Step::Typing,
            ReaderState::Lost => Step::Failed(Failure::ReaderLost),
            ReaderState::Connecting | ReaderState::Ready => Step::WaitingForCard,
        };
        Identification {
            purpose,
            step,
            typed_name: String::new(),
            typed_number: String::new(),
            typed_field: TypedField::Name,
            typed_error: None,
            waiting_since: None,
        }
    }

    /// Notes the time; call on every change and about once a second.
    pub fn tick(&mut self, now: Instant) {
        if self.step == Step::WaitingForCard {
            self.waiting_since.get_or_insert(now);
        } else {
            self.waiting_since = None;
        }
    }

    /// No card has come for a while: the screen says so (no card found,
    /// how to place it, or type instead).
    pub fn no_card_yet(&self, now: Instant) -> bool {
        self.step == Step::WaitingForCard
            && self
                .waiting_since
                .is_some_and(|since| now.duration_since(since) >= NO_CARD_HINT_AFTER)
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    pub fn step(&self) -> &Step {
        &self.step
    }

    pub fn identity(&self) -> Option<&Identity> {
        match &self.step {
            Step::Identified(identity) => Some(identity),
            _ => None,
        }
    }

    /// Whether the reader should look for cards now: only while the step
    /// waits for one (the privacy rule: read only when a service needs it).
    pub fn wants_card(&self) -> bool {
        matches!(self.step, Step::WaitingForCard | Step::Reading)
    }

    /// The reader noticed a card and is reading it.
    pub fn card_detected(&mut self) {
        if self.step == Step::WaitingForCard {
            self.step = Step::Reading;
        }
    }

    pub fn card_read(&mut self, card: &Card, today: NaiveDate) {
        if !self.wants_card() {
            return;
        }
        self.step = if card.is_expired(today) {
            Step::Failed(Failure::Expired)
        } else {
            Step::Identified(Identity::from_card(card))
        };
    }

    /// A card was on the reader but gave no usable data; `invalid` when the
    /// data arrived but failed its checks.
    pub fn card_unreadable(&mut self, invalid: bool) {
        if self.wants_card() {
            self.step = Step::Failed(if invalid {
                Failure::Invalid
            } else {
                Failure::Unreadable
            });
        }
    }

    pub fn reader_lost(&mut self) {
        if self.wants_card() {
            self.step = Step::Failed(Failure::ReaderLost);
        }
    }

    pub fn reader_back(&mut self) {
        if self.step == Step::Failed(Failure::ReaderLost) {
            self.step = Step::WaitingForCard;
        }
    }

    /// 重新读卡: wait for a card again (after a failure, or to read another).
    pub fn retry(&mut self, reader: ReaderState) {
        self.step = if reader == ReaderState::Lost {
            Step::Failed(Failure::ReaderLost)
        } else {
            Step::WaitingForCard
        };
    }

    /// 手工输入: type name and number instead.
    pub fn type_instead(&mut self) {
        self.step = Step::Typing;
        self.typed_field = TypedField::Name;
        self.typed_error = None;
    }

    pub fn typed_name(&self) -> &str {
        &self.typed_name
    }

    pub fn typed_number(&self) -> &str {
        &self.typed_number
    }

    pub fn typed_field(&self) -> TypedField {
        self.typed_field
    }

    pub fn typed_error(&self) -> Option<TypedError> {
        self.typed_error
    }

    pub fn focus(&mut self, field: TypedField) {
        self.typed_field = field;
    }

    /// Replaces the focused field's text (the keyboard owns the editing).
    /// The number keeps only digits and X, at most 18 of them.
    pub fn set_typed(&mut self, text: &str) {
        self.typed_error = None;
        match self.typed_field {
            TypedField::Name => {
                self.typed_name.zeroize();
                self.typed_name = text.chars().take(MAX_NAME_CHARS + 1).collect();
            }
            TypedField::Number => {
                self.typed_number.zeroize();
                self.typed_number = text
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == 'x' || *c == 'X')
                    .map(|c| c.to_ascii_uppercase())
                    .take(18)
                    .collect();
            }
        }
    }

    /// 确认: checks the typed fields; on success the resident is identified
    /// (as typed, not verified by a card).
    pub fn submit_typed(&mut self) -> Result<(), TypedError> {
        let result = self.check_typed();
        match result {
            Ok(identity) => {
                self.typed_name.zeroize();
                self.typed_number.zeroize();
                self.typed_error = None;
                self.step = Step::Identified(identity);
                Ok(())
            }
            Err(e) => {
                self.typed_error = Some(e);
                self.typed_field = match e {
                    TypedError::NameMissing | TypedError::NameTooLong => TypedField::Name,
                    _ => TypedField::Number,
                };
                Err(e)
            }
        }
    }

    fn check_typed(&self) -> Result<Identity, TypedError> {
        let name = self.typed_name.trim();
        if name.is_empty() {
            return Err(TypedError::NameMissing);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(TypedError::NameTooLong);
        }
        if self.typed_number.len() != 18 {
            return Err(TypedError::NumberIncomplete);
        }
        let number =
            IdNumber::parse(&self.typed_number).map_err(|_| TypedError::NumberCheckFailed)?;
        Ok(Identity {
            name: name.to_owned(),
            number: number.as_str().to_owned(),
            source: IdentitySource::Typed,
            valid_to: None,
        })
    }
}

impl std::fmt::Debug for Identification {
    // Logs may print the session by accident: no typed name or number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identification")
            .field("purpose", &self.purpose)
            .field("step", &self.step)
            .field("typed_field", &self.typed_field)
            .field("typed_error", &self.typed_error)
            .finish_non_exhaustive()
    }
}

impl Drop for Identification {
    fn drop(&mut self) {
        self.typed_name.zeroize();
        self.typed_number.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_idcard::card::Gender;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn card(valid_to: Expiry) -> Card {
        Card {
            kind: CardKind::Resident,
            name: "张三".into(),
            english_name: None,
            gender: Gender::Male,
            nation: Some("汉"),
            nationality: None,
            birth: date(1949, 12, 31),
            address: Some("北京市东城区".into()),
            number: IdNumber::parse("11010519491231002X").unwrap(),
            authority: "北京市公安局东城分局".into(),
            valid_from: date(2016, 1, 1),
            valid_to,
            pass_number: None,
            issue_count: None,
        }
    }

    fn today() -> NaiveDate {
        date(2026, 11, 27)
    }

    #[test]
    fn a_valid_card_identifies_the_resident_with_the_number_masked() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        assert!(id.wants_card());
        id.card_detected();
        assert_eq!(id.step(), &Step::Reading);
        id.card_read(&card(Expiry::LongTerm), today());
        let who = id.identity().expect("identified");
        assert_eq!(who.name, "张三");
        assert_eq!(who.masked_number(), "110***********002X");
        assert_eq!(who.source, IdentitySource::Card(CardKind::Resident));
        assert!(!id.wants_card(), "the reader stops looking once identified");
    }

    #[test]
    fn an_identity_never_prints_its_name_or_number_in_logs() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        id.card_read(&card(Expiry::LongTerm), today());
        let logged = format!("{:?}", id);
        assert!(
            !logged.contains("张三") && !logged.contains("11010519491231002X"),
            "{logged}"
        );
    }

    #[test]
    fn an_expired_card_is_refused_but_the_last_valid_day_is_accepted() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        id.card_read(&card(Expiry::On(date(2026, 11, 26))), today());
        assert_eq!(id.step(), &Step::Failed(Failure::Expired));
        id.retry(ReaderState::Ready);
        id.card_read(&card(Expiry::On(today())), today());
        assert!(id.identity().is_some());
    }

    #[test]
    fn a_long_wait_without_a_card_is_noticed_and_a_new_wait_starts_afresh() {
        let now = Instant::now();
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        id.tick(now);
        assert!(!id.no_card_yet(now + Duration::from_secs(5)));
        assert!(id.no_card_yet(now + NO_CARD_HINT_AFTER));
        id.card_unreadable(false);
        id.tick(now + Duration::from_secs(20));
        id.retry(ReaderState::Ready);
        id.tick(now + Duration::from_secs(21));
        assert!(!id.no_card_yet(now + Duration::from_secs(22)));
    }

    #[test]
    fn without_a_reader_the_step_starts_with_typing() {
        let id = Identification::new(Purpose::Verify, ReaderState::NotInstalled);
        assert_eq!(id.step(), &Step::Typing);
        assert!(!id.wants_card());
    }

    #[test]
    fn a_lost_reader_says_so_and_waiting_resumes_when_it_is_back() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        id.reader_lost();
        assert_eq!(id.step(), &Step::Failed(Failure::ReaderLost));
        assert!(!id.wants_card());
        id.reader_back();
        assert_eq!(id.step(), &Step::WaitingForCard);
    }

    #[test]
    fn an_unreadable_or_invalid_card_is_reported_as_such() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        id.card_unreadable(false);
        assert_eq!(id.step(), &Step::Failed(Failure::Unreadable));
        id.retry(ReaderState::Ready);
        id.card_unreadable(true);
        assert_eq!(id.step(), &Step::Failed(Failure::Invalid));
    }

    #[test]
    fn a_card_arriving_while_typing_is_ignored() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::Ready);
        id.type_instead();
        id.card_read(&card(Expiry::LongTerm), today());
        assert_eq!(id.step(), &Step::Typing);
    }

    #[test]
    fn typed_entry_checks_the_name_and_the_check_character() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::NotInstalled);
        assert_eq!(id.submit_typed(), Err(TypedError::NameMissing));
        id.set_typed("李四");
        id.focus(TypedField::Number);
        id.set_typed("110105194912310");
        assert_eq!(id.submit_typed(), Err(TypedError::NumberIncomplete));
        id.set_typed("110105194912310021");
        assert_eq!(id.submit_typed(), Err(TypedError::NumberCheckFailed));
        assert_eq!(id.typed_field(), TypedField::Number);
        id.set_typed("11010519491231002x");
        assert_eq!(id.typed_number(), "11010519491231002X");
        assert_eq!(id.submit_typed(), Ok(()));
        let who = id.identity().unwrap();
        assert_eq!(who.source, IdentitySource::Typed);
        assert_eq!(who.name, "李四");
        assert_eq!(id.typed_number(), "", "typed digits are wiped once used");
    }

    #[test]
    fn the_typed_number_keeps_only_digits_and_x_up_to_eighteen() {
        let mut id = Identification::new(Purpose::Verify, ReaderState::NotInstalled);
        id.focus(TypedField::Number);
        id.set_typed("110 105-1949 1231 002X 999");
        assert_eq!(id.typed_number(), "11010519491231002X");
    }
}
