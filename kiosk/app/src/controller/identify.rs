//! The identification step on screen: taps on `IdentifyAdapter`, the card
//! reader's events, and rendering `kiosk_core::Identification` into the
//! adapter. The number reaches the UI only masked.

use std::time::Instant;

use kiosk_core::{
    Failure, IdentitySource, Purpose, ReaderState, Screen, Step, TypedError, TypedField,
};
use kiosk_idcard::card::CardKind;
use kiosk_ime::Mode;
use slint::{ComponentHandle, SharedString};

use super::{Kiosk, SharedKiosk, handler};
use crate::audio::Sound;
use crate::{App, IdentifyAdapter};

impl Kiosk {
    /// 身份核验 from the home screen.
    pub fn open_identify(&mut self, now: Instant) {
        self.tap(now);
        self.session.identify(Purpose::Verify, self.reader_state);
        if self.typing_identity() {
            self.start_typing();
        }
        self.after_identify_change(true);
        self.render_screen();
    }

    pub(super) fn start_typing(&mut self) {
        self.committed.clear();
        self.ensure_keyboard();
        self.switch_keyboard(TypedField::Name);
    }

    pub fn identify_retry(&mut self, now: Instant) {
        self.tap(now);
        let reader = self.reader_state;
        if let Some(id) = self.session.identification_mut() {
            id.retry(reader);
        }
        self.after_identify_change(true);
    }

    pub fn identify_type_instead(&mut self, now: Instant) {
        self.tap(now);
        if let Some(id) = self.session.identification_mut() {
            id.type_instead();
        }
        self.start_typing();
        self.after_identify_change(false);
    }

    pub fn identify_focus(&mut self, field: i32, now: Instant) {
        self.tap(now);
        let field = if field == 1 {
            TypedField::Number
        } else {
            TypedField::Name
        };
        if let Some(id) = self.session.identification_mut() {
            id.focus(field);
        }
        self.switch_keyboard(field);
        self.after_identify_change(false);
    }

    pub fn identify_submit(&mut self, now: Instant) {
        self.tap(now);
        self.submit_typed();
    }

    /// 完成 (the identity was shown; nothing needs it, so it goes) or, for
    /// a consultation, 继续: the call is requested.
    pub fn identify_finish(&mut self, now: Instant) {
        let purpose = self.session.identification().map(|i| i.purpose());
        if purpose == Some(Purpose::Consultation)
            && self
                .session
                .identification()
                .is_some_and(|i| i.identity().is_some())
        {
            self.tap(now);
            self.consult_identified();
        } else {
            self.home(now);
        }
    }

    pub(super) fn typing_identity(&self) -> bool {
        self.session.screen() == &Screen::Identify
            && matches!(
                self.session.identification().map(|i| i.step()),
                Some(Step::Typing)
            )
    }

    /// The keyboard changed the focused typed field.
    pub(super) fn typed_changed(&mut self) {
        let text = self.committed.clone();
        if let Some(id) = self.session.identification_mut() {
            id.set_typed(&text);
        }
        self.render_keyboard();
        self.render_identify();
    }

    /// 确定 on the keyboard: next field, or submit from the last one.
    pub(super) fn typed_enter(&mut self) {
        let field = self.session.identification().map(|i| i.typed_field());
        if field == Some(TypedField::Name) {
            if let Some(id) = self.session.identification_mut() {
                id.focus(TypedField::Number);
            }
            self.switch_keyboard(TypedField::Number);
            self.render_keyboard();
            self.render_identify();
        } else {
            self.submit_typed();
        }
    }

    fn submit_typed(&mut self) {
        let result = self
            .session
            .identification_mut()
            .map(|id| id.submit_typed());
        if let Some(Err(_)) = result {
            let field = self
                .session
                .identification()
                .map_or(TypedField::Name, |i| i.typed_field());
            self.switch_keyboard(field);
        } else {
            self.committed.clear();
        }
        self.after_identify_change(false);
    }

    /// Points the keyboard at a typed field: its text, pinyin for the
    /// name, digits (with X) for the number.
    fn switch_keyboard(&mut self, field: TypedField) {
        self.keyboard_on_private_text = true;
        let text = self
            .session
            .identification()
            .map(|i| match field {
                TypedField::Name => i.typed_name().to_owned(),
                TypedField::Number => i.typed_number().to_owned(),
            })
            .unwrap_or_default();
        self.committed = text;
        if let Some(engine) = self.keyboard.as_mut() {
            engine.reset();
            let _ = engine.set_mode(match field {
                TypedField::Name => Mode::Pinyin,
                TypedField::Number => Mode::Digits,
            });
        }
        self.render_keyboard();
    }

    /// After any change of the step: the reader polls only while a card is
    /// wanted, the voice prompt asks for the card, the screen follows.
    pub(super) fn after_identify_change(&mut self, prompt: bool) {
        let wants = self.sync_reader();
        if prompt && wants {
            self.audio.play(Sound::PlaceCard);
        }
        self.render_identify();
    }

    /// Tells the reader whether to look for cards; returns whether it does.
    pub(super) fn sync_reader(&mut self) -> bool {
        let wants = self.session.screen() == &Screen::Identify
            && self
                .session
                .identification()
                .is_some_and(|i| i.wants_card());
        if let Some(reader) = self.devices.as_mut().and_then(|d| d.reader.as_mut()) {
            reader.set_reading(wants);
        }
        wants
    }

    /// The identification is gone (返回, 首页): what was typed into its
    /// fields must not linger in the keyboard (the search box shares it),
    /// and the adapter forgets what it showed.
    pub(super) fn forget_typed_identity(&mut self) {
        if std::mem::take(&mut self.keyboard_on_private_text) {
            zeroize::Zeroize::zeroize(&mut self.committed);
            self.committed = self.session.search_query().to_owned();
            if let Some(engine) = self.keyboard.as_mut() {
                engine.reset();
                let _ = engine.set_mode(Mode::Pinyin);
            }
        }
        self.with_app(clear_view);
    }

    pub(super) fn render_identify(&mut self) {
        let now = Instant::now();
        let Some(id) = self.session.identification_mut() else {
            return;
        };
        id.tick(now);
        let no_card_yet = id.no_card_yet(now);
        let has_reader = self.reader_state != ReaderState::NotInstalled;
        let Some(id) = self.session.identification() else {
            return;
        };
        let mut view = IdentifyView::of(id, has_reader);
        view.no_card_yet = no_card_yet;
        self.with_app(|app| view.show(&app.global::<IdentifyAdapter>()));
    }
}

/// What the adapter shows, computed from the core's state.
struct IdentifyView {
    step: crate::IdentifyStep,
    failure: crate::IdentifyFailure,
    has_reader: bool,
    name: String,
    masked_number: String,
    source: crate::IdentitySource,
    valid_to: String,
    long_term: bool,
    typed_field: i32,
    typed_name: String,
    typed_number: String,
    typed_error: crate::TypedError,
    no_card_yet: bool,
}

impl IdentifyView {
    fn of(id: &kiosk_core::Identification, has_reader: bool) -> IdentifyView {
        use crate::{IdentifyFailure as F, IdentifyStep as S};
        let mut view = IdentifyView {
            step: S::Waiting,
            failure: F::Unreadable,
            has_reader,
            name: String::new(),
            masked_number: String::new(),
            source: crate::IdentitySource::ResidentCard,
            valid_to: String::new(),
            long_term: false,
            typed_field: (id.typed_field() == TypedField::Number) as i32,
            typed_name: id.typed_name().to_owned(),
            typed_number: group_id_digits(id.typed_number()),
            typed_error: match id.typed_error() {
                None => crate::TypedError::None,
                Some(TypedError::NameMissing) => crate::TypedError::NameMissing,
                Some(TypedError::NameTooLong) => crate::TypedError::NameTooLong,
                Some(TypedError::NumberIncomplete) => crate::TypedError::NumberIncomplete,
                Some(TypedError::NumberCheckFailed) => crate::TypedError::NumberCheckFailed,
            },
            no_card_yet: false,
        };
        match id.step() {
            Step::WaitingForCard => view.step = S::Waiting,
            Step::Reading => view.step = S::Reading,
            Step::Typing => view.step = S::Typing,
            Step::Failed(failure) => {
                view.step = S::Failed;
                view.failure = match failure {
                    Failure::Unreadable => F::Unreadable,
                    Failure::Invalid => F::Invalid,
                    Failure::Expired => F::Expired,
                    Failure::ReaderLost => F::ReaderLost,
                };
            }
            Step::Identified(identity) => {
                view.step = S::Identified;
                view.name = identity.name.clone();
                view.masked_number = identity.masked_number();
                view.source = match identity.source {
                    IdentitySource::Card(CardKind::Resident) => crate::IdentitySource::ResidentCard,
                    IdentitySource::Card(CardKind::ForeignPermanent) => {
                        crate::IdentitySource::ForeignCard
                    }
                    IdentitySource::Card(CardKind::HkMacaoTaiwan) => crate::IdentitySource::HmtCard,
                    IdentitySource::Typed => crate::IdentitySource::Typed,
                };
                match (identity.source, identity.valid_to) {
                    (IdentitySource::Typed, _) => {}
                    (_, Some(date)) => view.valid_to = date.format("%Y-%m-%d").to_string(),
                    (_, None) => view.long_term = true,
                }
            }
        }
        view
    }

    fn show(&self, a: &IdentifyAdapter) {
        a.set_step(self.step);
        a.set_failure(self.failure);
        a.set_has_reader(self.has_reader);
        a.set_name(SharedString::from(self.name.as_str()));
        a.set_masked_number(SharedString::from(self.masked_number.as_str()));
        a.set_source(self.source);
        a.set_valid_to(SharedString::from(self.valid_to.as_str()));
        a.set_long_term(self.long_term);
        a.set_typed_field(self.typed_field);
        a.set_typed_name(SharedString::from(self.typed_name.as_str()));
        a.set_typed_number(SharedString::from(self.typed_number.as_str()));
        a.set_typed_error(self.typed_error);
        a.set_no_card_yet(self.no_card_yet);
    }
}

/// 6-8-4 groups, as the number is usually read aloud and checked.
fn group_id_digits(number: &str) -> String {
    let mut out = String::with_capacity(number.len() + 2);
    for (i, c) in number.chars().enumerate() {
        if i == 6 || i == 14 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Forgets everything the step showed (session end).
pub(super) fn clear_view(app: &App) {
    let a = app.global::<IdentifyAdapter>();
    for set in [
        IdentifyAdapter::set_name,
        IdentifyAdapter::set_masked_number,
        IdentifyAdapter::set_valid_to,
        IdentifyAdapter::set_typed_name,
        IdentifyAdapter::set_typed_number,
    ] {
        set(&a, SharedString::new());
    }
    a.set_step(crate::IdentifyStep::Waiting);
    a.set_typed_error(crate::TypedError::None);
}

pub(super) fn connect(app: &App, kiosk: &SharedKiosk) {
    let a = app.global::<IdentifyAdapter>();
    let h = handler(kiosk, |k, (), now| k.identify_retry(now));
    a.on_retry(move || h(()));
    let h = handler(kiosk, |k, (), now| k.identify_type_instead(now));
    a.on_type_instead(move || h(()));
    let h = handler(kiosk, |k, field: i32, now| k.identify_focus(field, now));
    a.on_focus(h);
    let h = handler(kiosk, |k, (), now| k.identify_submit(now));
    a.on_submit_typed(move || h(()));
    let h = handler(kiosk, |k, (), now| k.identify_finish(now));
    a.on_finish(move || h(()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_numbers_are_grouped_six_eight_four() {
        assert_eq!(
            group_id_digits("11010519491231002X"),
            "110105 19491231 002X"
        );
        assert_eq!(group_id_digits("1101"), "1101");
    }
}
