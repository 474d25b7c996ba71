//! 视频咨询律师 on screen: taps on `ConsultAdapter`, what the hub and the
//! call report ([`ConsultEvent`]), and rendering
//! `kiosk_core::Consultation` into the adapter. The state machine decides;
//! this file forwards, starts and stops the media, and draws.

use std::time::Instant;

use kiosk_core::consultation::{
    Ended, MediaPath, MessageError as CoreMessageError, MessageField, Stage, Unavailable,
};
use kiosk_core::{Purpose, Screen};
use kiosk_hub_client::{ErrorCode, HubEvent, Quality, SessionEnd, SessionEvent, Suggestion};
use kiosk_ime::Mode;
use slint::{ComponentHandle, Image, Model, ModelRc, SharedString, VecModel};

use super::{Kiosk, SharedKiosk, handler};
use crate::consultation::{ConsultEvent, HubLink};
use crate::printing::receipts::ConsultationReceipt;
use crate::{
    App, AppState, ConsultAdapter, ConsultEnded, ConsultStage, ConsultTrouble, IdentifyAdapter,
    MessageError,
};

impl Kiosk {
    /// Hands the running hub link to the controller.
    pub fn attach_hub(&mut self, link: HubLink) {
        self.hub = Some(link);
        self.consultation_configured = true;
        self.with_app(|app| app.global::<AppState>().set_consultation_available(true));
        self.render_header();
    }

    /// Stops the hub link; 视频咨询律师 stays on screen and says the hub
    /// cannot be reached (screenshots of that screen use this).
    pub fn detach_hub(&mut self) {
        self.hub = None;
        self.hub_connected = false;
        self.session.hub_connection(false);
        self.render_header();
    }

    /// Signed in to the hub now.
    pub fn hub_connected(&self) -> bool {
        self.hub_connected
    }

    pub fn hub_link(&self) -> Option<&HubLink> {
        self.hub.as_ref()
    }

    pub fn hub_link_mut(&mut self) -> Option<&mut HubLink> {
        self.hub.as_mut()
    }

    /// 视频咨询律师 on the home screen.
    pub fn open_consultation(&mut self, now: Instant) {
        self.tap(now);
        if !self.consultation_configured {
            return;
        }
        self.session.start_consultation(self.hub_connected);
        self.render_screen();
    }

    pub fn consult_topic(&mut self, topic: &str, now: Instant) {
        self.tap(now);
        if !kiosk_core::consultation::TOPICS.contains(&topic) {
            return;
        }
        self.session.choose_consult_topic(topic, self.reader_state);
        if self.typing_identity() {
            self.start_typing();
        }
        self.after_identify_change(true);
        self.render_screen();
    }

    /// 继续，呼叫律师 on the identification result.
    pub(super) fn consult_identified(&mut self) {
        self.session.begin_consultation_call();
        self.forget_typed_identity();
        self.sync_reader();
        self.after_consult_change(Instant::now());
        self.render_screen();
    }

    pub fn consult_hang_up(&mut self, now: Instant) {
        self.tap(now);
        if let Some(c) = self.session.consultation_mut() {
            c.hang_up(now);
        }
        if self
            .session
            .consultation()
            .is_some_and(|c| c.stage() == &Stage::ChoosingTopic)
        {
            // Cancelled while waiting: back to the topics.
            self.session.back();
        }
        self.after_consult_change(now);
        self.render_screen();
    }

    pub fn consult_toggle_mute(&mut self, now: Instant) {
        self.tap(now);
        let muted = self
            .session
            .consultation_mut()
            .is_some_and(|c| c.toggle_mute());
        if let Some(hub) = &self.hub {
            hub.set_muted(muted);
        }
        self.render_consultation(now);
    }

    pub fn consult_retry(&mut self, now: Instant) {
        self.tap(now);
        if let Some(c) = self.session.consultation_mut() {
            c.retry();
        }
        self.after_consult_change(now);
    }

    pub fn consult_write_message(&mut self, now: Instant) {
        self.tap(now);
        if let Some(c) = self.session.consultation_mut() {
            c.write_message();
        }
        if self.typing_message() {
            self.committed.clear();
            self.ensure_keyboard();
            self.point_keyboard_at_message(MessageField::Phone);
            self.render_keyboard();
        }
        self.after_consult_change(now);
    }

    pub fn consult_focus_message(&mut self, field: i32, now: Instant) {
        self.tap(now);
        let field = if field == 1 {
            MessageField::Text
        } else {
            MessageField::Phone
        };
        if let Some(c) = self.session.consultation_mut() {
            c.focus_message(field);
        }
        self.point_keyboard_at_message(field);
        self.render_keyboard();
        self.render_consultation(now);
    }

    pub fn consult_submit_message(&mut self, now: Instant) {
        self.tap(now);
        self.submit_message(now);
    }

    fn submit_message(&mut self, now: Instant) {
        let result = self.session.consultation_mut().map(|c| c.submit_message());
        if let Some(Err(_)) = result {
            let field = self
                .session
                .consultation()
                .and_then(|c| c.message())
                .map_or(MessageField::Phone, |m| m.field);
            self.point_keyboard_at_message(field);
            self.render_keyboard();
        }
        self.after_consult_change(now);
    }

    /// 完成: the consultation is over for this resident.
    pub fn consult_done(&mut self, now: Instant) {
        self.home(now);
    }

    /// 打印 under the lawyer's summary: the receipt preview.
    pub fn consult_print_summary(&mut self, now: Instant) {
        self.tap(now);
        let Some(c) = self.session.consultation() else {
            return;
        };
        let Some(summary) = c.summary().cloned() else {
            return;
        };
        let talk_secs = c.talk_time(now).map_or(0, |d| d.as_secs());
        let topic = c.topic().unwrap_or("other").to_owned();
        let lawyer = c.lawyer().to_owned();
        let printed_at = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
        let office = self.office_name.clone();
        let mut receipt = None;
        self.with_app(|app| {
            receipt = Some(ConsultationReceipt::gather(
                app,
                &office,
                &printed_at,
                &topic,
                &lawyer,
                talk_secs,
                &summary.text,
                &summary.advice,
            ));
        });
        if let Some(receipt) = receipt {
            self.show_receipt(
                Screen::ConsultationReceipt,
                "consultation",
                "consultation summary".to_owned(),
                Box::new(move |reference| receipt.build(reference)),
            );
        }
    }

    // ---- the keyboard on the message form ----

    /// The on-screen keyboard types into the message form.
    pub(super) fn typing_message(&self) -> bool {
        // While sending too: keys then do nothing rather than reach search.
        self.session.screen() == &Screen::Consultation
            && self
                .session
                .consultation()
                .is_some_and(|c| c.message().is_some())
    }

    fn point_keyboard_at_message(&mut self, field: MessageField) {
        let text = self
            .session
            .consultation()
            .and_then(|c| c.message())
            .map(|m| match field {
                MessageField::Phone => m.phone.clone(),
                MessageField::Text => m.text.clone(),
            })
            .unwrap_or_default();
        self.committed = text;
        self.keyboard_on_private_text = true;
        if let Some(engine) = self.keyboard.as_mut() {
            engine.reset();
            let mode = match field {
                MessageField::Phone => Mode::Digits,
                MessageField::Text => Mode::Pinyin,
            };
            let _ = engine.set_mode(mode);
        }
    }

    /// The keyboard changed the focused field of the message form.
    pub(super) fn message_typed(&mut self) {
        let text = self.committed.clone();
        if let Some(c) = self.session.consultation_mut() {
            c.set_message_text(&text);
        }
        self.render_keyboard();
        self.render_consultation(Instant::now());
    }

    /// 确定 on the keyboard: from the phone to the text, then submit.
    pub(super) fn message_enter(&mut self) {
        let field = self
            .session
            .consultation()
            .and_then(|c| c.message())
            .map(|m| m.field);
        if field == Some(MessageField::Phone) {
            if let Some(c) = self.session.consultation_mut() {
                c.focus_message(MessageField::Text);
            }
            self.point_keyboard_at_message(MessageField::Text);
            self.render_keyboard();
            self.render_consultation(Instant::now());
        } else {
            self.submit_message(Instant::now());
        }
    }

    // ---- what the hub and the call report ----

    /// Something from the hub link (delivered on the UI thread).
    pub fn consult_event(&mut self, event: ConsultEvent, now: Instant) {
        match event {
            ConsultEvent::Hub(event) => self.hub_event(event, now),
            ConsultEvent::Call { call_id, event } => {
                if self.session.consultation().and_then(|c| c.call_id()) == Some(call_id.0.as_str())
                {
                    self.call_event(event, now);
                }
            }
            ConsultEvent::Picture => {
                self.show_pictures();
                return;
            }
            ConsultEvent::CallReady(ready) => {
                if let Some(hub) = self.hub.as_mut() {
                    hub.install_call(ready);
                }
                return;
            }
        }
        self.after_consult_change(now);
    }

    fn hub_event(&mut self, event: HubEvent, now: Instant) {
        if let Some(hub) = self.hub.as_mut() {
            hub.hub_event(&event);
        }
        match &event {
            HubEvent::Connected { .. } | HubEvent::Reconnected { .. } => {
                self.hub_connected = true;
                self.session.hub_connection(true);
                self.render_header();
            }
            HubEvent::Disconnected => {
                self.hub_connected = false;
                self.session.hub_connection(false);
                self.render_header();
            }
            _ => {}
        }
        let Some(c) = self.session.consultation_mut() else {
            return;
        };
        match event {
            HubEvent::Unreachable { .. } | HubEvent::NotConnected { .. } => c.hub_unreachable(),
            HubEvent::Error { code, .. } => match code {
                ErrorCode::Unauthenticated | ErrorCode::Replaced => c.terminal_refused(),
                ErrorCode::Invalid | ErrorCode::NotAllowed | ErrorCode::Internal => {
                    c.hub_rejected()
                }
                _ => {}
            },
            HubEvent::Queued {
                call_id,
                position,
                estimated_wait_secs,
                suggestion,
            } => c.queued(&call_id.0, position, estimated_wait_secs, suggestion),
            HubEvent::Ringing {
                call_id,
                lawyer_display_name,
            } => c.ringing(&call_id.0, &lawyer_display_name),
            HubEvent::Accepted {
                call_id,
                lawyer_display_name,
                ice_servers,
            } => {
                if c.accepted(&call_id.0, &lawyer_display_name, now)
                    && let Some(hub) = self.hub.as_mut()
                {
                    hub.start_call(call_id, &ice_servers);
                }
            }
            HubEvent::Ended { call_id, reason } => c.hub_ended(&call_id.0, reason, now),
            HubEvent::Summary {
                call_id,
                text,
                advice,
            } => c.summary_received(&call_id.0, &text, &advice),
            HubEvent::MessageStored { id } => c.message_stored(id),
            HubEvent::Connected { .. }
            | HubEvent::Reconnected { .. }
            | HubEvent::Disconnected
            | HubEvent::Signal { .. } => {}
        }
    }

    fn call_event(&mut self, event: SessionEvent, now: Instant) {
        let Some(c) = self.session.consultation_mut() else {
            return;
        };
        match event {
            SessionEvent::Connected => c.media_connected(now),
            SessionEvent::Interrupted | SessionEvent::Restarting => c.media_interrupted(),
            SessionEvent::RemoteVideoStarted { .. } => c.remote_video_started(),
            SessionEvent::RemoteAudioStarted => {}
            SessionEvent::Stats(stats) => c.quality(match stats.quality {
                Quality::Unknown => 0,
                Quality::Poor => 1,
                Quality::Fair => 2,
                Quality::Good => 3,
            }),
            SessionEvent::Ended(SessionEnd::ConnectionLost) => c.media_ended(true, now),
            SessionEvent::Ended(SessionEnd::Failed(reason)) => {
                log::warn!("call could not be set up: {reason}");
                c.media_ended(false, now)
            }
            SessionEvent::Ended(_) => {}
        }
    }

    /// After any change: send what the consultation owes the hub, stop the
    /// media when the call is over, and redraw.
    pub(super) fn after_consult_change(&mut self, now: Instant) {
        let commands = self.session.take_hub_commands();
        if let Some(hub) = &self.hub {
            for command in commands {
                hub.send(command);
            }
        }
        let in_call = matches!(
            self.session.consultation().map(|c| c.stage()),
            Some(Stage::InCall(_))
        );
        if !in_call
            && let Some(hub) = self.hub.as_mut()
            && hub.in_call()
        {
            hub.end_call();
            self.clear_pictures();
        }
        self.render_consultation(now);
    }

    fn show_pictures(&self) {
        let Some(hub) = &self.hub else { return };
        let in_call = matches!(
            self.session.consultation().map(|c| c.stage()),
            Some(Stage::InCall(_))
        );
        if !in_call || !hub.in_call() {
            // A late picture of a call that is over: never shown.
            let _ = (hub.remote_picture(), hub.self_picture());
            return;
        }
        let (remote, own) = (hub.remote_picture(), hub.self_picture());
        self.with_app(|app| {
            let a = app.global::<ConsultAdapter>();
            if let Some(p) = remote {
                a.set_remote_video(Image::from_rgba8(p));
                a.set_has_remote_video(true);
            }
            if let Some(p) = own {
                a.set_self_video(Image::from_rgba8(p));
            }
        });
    }

    fn clear_pictures(&self) {
        self.with_app(|app| {
            let a = app.global::<ConsultAdapter>();
            a.set_remote_video(Image::default());
            a.set_self_video(Image::default());
            a.set_has_remote_video(false);
        });
    }

    // ---- rendering ----

    pub(super) fn render_consultation(&self, now: Instant) {
        let for_consultation = self
            .session
            .identification()
            .is_some_and(|i| i.purpose() == Purpose::Consultation);
        let Some(c) = self.session.consultation() else {
            self.with_app(clear_view);
            return;
        };
        let talk_secs = c.talk_time(now).map_or(0, |d| d.as_secs() as i32);
        let summary = c.summary().cloned();
        let stage = c.stage().clone();
        let topic = c.topic().unwrap_or_default().to_owned();
        let lawyer = c.lawyer().to_owned();
        let name = c.resident_name().to_owned();
        self.with_app(|app| {
            app.global::<IdentifyAdapter>()
                .set_for_consultation(for_consultation);
            let a = app.global::<ConsultAdapter>();
            let topics: Vec<SharedString> = kiosk_core::consultation::TOPICS
                .iter()
                .map(|t| SharedString::from(*t))
                .collect();
            if a.get_topics().row_count() != topics.len() {
                a.set_topics(ModelRc::new(VecModel::from(topics)));
            }
            a.set_topic(topic.into());
            a.set_lawyer(lawyer.into());
            a.set_talk_secs(talk_secs);
            a.set_resident_name(name.into());
            a.set_has_summary(summary.is_some());
            let (text, advice) = summary.map(|s| (s.text, s.advice)).unwrap_or_default();
            a.set_summary_text(text.into());
            a.set_summary_advice(advice.into());
            a.set_stage(match &stage {
                Stage::ChoosingTopic => ConsultStage::Topics,
                Stage::Connecting => ConsultStage::Connecting,
                Stage::Waiting { .. } => ConsultStage::Waiting,
                Stage::Ringing => ConsultStage::Ringing,
                Stage::InCall(_) => ConsultStage::InCall,
                Stage::Ended { .. } => ConsultStage::Ended,
                Stage::Unavailable(_) => ConsultStage::Unavailable,
                Stage::Message(_) => ConsultStage::Message,
                Stage::MessageSent { .. } => ConsultStage::MessageSent,
            });
            match &stage {
                Stage::Waiting {
                    position,
                    estimated_wait_secs,
                    suggestion,
                } => {
                    a.set_position(*position as i32);
                    a.set_wait_minutes(
                        estimated_wait_secs.map_or(-1, |s| s.div_ceil(60).max(1) as i32),
                    );
                    a.set_suggest_message(suggestion.is_some());
                    a.set_nobody_on_duty(*suggestion == Some(Suggestion::NoLawyerOnDuty));
                }
                Stage::InCall(call) => {
                    a.set_media_up(call.media == MediaPath::Up);
                    a.set_interrupted(call.media == MediaPath::Interrupted);
                    a.set_bars(call.bars as i32);
                    a.set_muted(call.muted);
                }
                Stage::Ended { why, .. } => a.set_ended(match why {
                    Ended::ResidentHungUp => ConsultEnded::ResidentHungUp,
                    Ended::LawyerHungUp => ConsultEnded::LawyerHungUp,
                    Ended::LawyerLost => ConsultEnded::LawyerLost,
                    Ended::ConnectionLost => ConsultEnded::ConnectionLost,
                    Ended::NobodyAnswered => ConsultEnded::NobodyAnswered,
                    Ended::Failed => ConsultEnded::Failed,
                }),
                Stage::Unavailable(why) => a.set_trouble(match why {
                    Unavailable::HubUnreachable => ConsultTrouble::HubUnreachable,
                    Unavailable::TerminalRefused => ConsultTrouble::TerminalRefused,
                }),
                Stage::Message(m) => {
                    a.set_message_field(i32::from(m.field == MessageField::Text));
                    a.set_message_phone(m.phone.as_str().into());
                    a.set_message_text(m.text.as_str().into());
                    a.set_message_sending(m.sending);
                    a.set_message_error(match m.error {
                        None => MessageError::None,
                        Some(CoreMessageError::PhoneMissing) => MessageError::PhoneMissing,
                        Some(CoreMessageError::PhoneInvalid) => MessageError::PhoneInvalid,
                        Some(CoreMessageError::TextTooLong) => MessageError::TextTooLong,
                        Some(CoreMessageError::NotSent) => MessageError::NotSent,
                    });
                }
                Stage::MessageSent { reference } => {
                    a.set_message_reference(*reference as i32);
                    a.set_message_phone(SharedString::new());
                    a.set_message_text(SharedString::new());
                }
                Stage::ChoosingTopic | Stage::Connecting | Stage::Ringing => {}
            }
        });
    }
}

/// Forgets everything the consultation showed (session end, 完成).
pub(super) fn clear_view(app: &App) {
    let a = app.global::<ConsultAdapter>();
    a.set_stage(ConsultStage::Topics);
    a.set_topic(SharedString::new());
    a.set_lawyer(SharedString::new());
    a.set_resident_name(SharedString::new());
    a.set_summary_text(SharedString::new());
    a.set_summary_advice(SharedString::new());
    a.set_has_summary(false);
    a.set_message_phone(SharedString::new());
    a.set_message_text(SharedString::new());
    a.set_remote_video(Image::default());
    a.set_self_video(Image::default());
    a.set_has_remote_video(false);
    app.global::<IdentifyAdapter>().set_for_consultation(false);
}

pub(super) fn connect(app: &App, kiosk: &SharedKiosk) {
    let state = app.global::<AppState>();
    let h = handler(kiosk, |k, (), now| k.open_consultation(now));
    state.on_open_consultation(move || h(()));
    let a = app.global::<ConsultAdapter>();
    let h = handler(kiosk, |k, topic: SharedString, now| {
        k.consult_topic(&topic, now)
    });
    a.on_choose_topic(h);
    let h = handler(kiosk, |k, (), now| k.consult_hang_up(now));
    a.on_hang_up(move || h(()));
    let h = handler(kiosk, |k, (), now| k.consult_toggle_mute(now));
    a.on_toggle_mute(move || h(()));
    let h = handler(kiosk, |k, (), now| k.consult_retry(now));
    a.on_retry(move || h(()));
    let h = handler(kiosk, |k, (), now| k.consult_write_message(now));
    a.on_write_message(move || h(()));
    let h = handler(kiosk, |k, field: i32, now| {
        k.consult_focus_message(field, now)
    });
    a.on_focus_message(h);
    let h = handler(kiosk, |k, (), now| k.consult_submit_message(now));
    a.on_submit_message(move || h(()));
    let h = handler(kiosk, |k, (), now| k.consult_print_summary(now));
    a.on_print_summary(move || h(()));
    let h = handler(kiosk, |k, (), now| k.consult_done(now));
    a.on_done(move || h(()));
}

/// Starts the hub link (and the embedded hub) and feeds its events to the
/// controller on the UI thread. Without a configured hub nothing starts and
/// 视频咨询律师 is not offered.
pub fn attach_consultation(kiosk: &SharedKiosk, config: &kiosk_core::Config) -> Result<(), String> {
    let (tx, mut rx) = futures_channel::mpsc::unbounded::<ConsultEvent>();
    let deliver: crate::consultation::DeliverConsult = std::sync::Arc::new(move |event| {
        let _ = tx.unbounded_send(event);
    });
    let Some(link) = HubLink::start(config, deliver)? else {
        return Ok(());
    };
    kiosk.borrow_mut().attach_hub(link);
    let weak = std::rc::Rc::downgrade(kiosk);
    slint::spawn_local(async move {
        use futures_core::Stream;
        while let Some(event) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut rx).poll_next(cx)).await
        {
            let Some(k) = weak.upgrade() else { return };
            if let Ok(mut k) = k.try_borrow_mut() {
                k.consult_event(event, Instant::now());
            }
        }
    })
    .map_err(|e| format!("cannot listen to the hub link: {e}"))?;
    Ok(())
}
