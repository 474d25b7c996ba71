//! 视频咨询律师 below the screens: the terminal's link to the dispatch hub
//! and the media of a call.
//!
//! Map: [`HubLink`] (this file) owns the `kiosk-hub-client` connection and,
//! during a call, its `CallSession`, and reports everything as
//! [`ConsultEvent`]s; `picture` carries decoded pictures to the UI without
//! a backlog; `voice` plays the lawyer's voice; `embedded_hub` runs a hub
//! inside the terminal when the configuration says `hub = "embedded"`.
//!
//! ```text
//!  hub ──ws──► khub-client thread ──ConsultEvent::Hub──────────────► UI thread (controller)
//!                                                                      │ commands
//!  lawyer ◄─WebRTC─► khub-session ──ConsultEvent::Call──────────────► │
//!                      ├─ video ─► picture thread ─► PictureSlot ─► ConsultEvent::Picture
//!                      └─ audio ─► voice thread ─► loudspeaker
//! ```
//!
//! Privacy: nothing of a call is written anywhere on the terminal; pictures
//! and sound live in memory while they are shown or played.

pub mod embedded_hub;
pub mod picture;
pub mod voice;

use std::sync::Arc;
use std::time::Duration;

use kiosk_call::{
    AudioInput, CallConfig, MediaSources, SelfView, SelfViewSettings, SourceSettings, Switch,
    VideoInput,
};
use kiosk_core::{Config, HubCommand};
use kiosk_hub_client::{
    CallId, CallSession, HubClient, HubClientConfig, HubEvent, IceServer, SessionConfig,
    SessionEvent,
};

use embedded_hub::EmbeddedHub;
use picture::PictureSlot;
use voice::VoiceCounters;

/// What the consultation's threads report to the UI thread.
#[derive(Debug)]
pub enum ConsultEvent {
    Hub(HubEvent),
    /// From the call session of `call_id`.
    Call {
        call_id: CallId,
        event: SessionEvent,
    },
    /// A new picture waits in [`HubLink::remote_picture`] (the lawyer) or
    /// [`HubLink::self_picture`] (the resident).
    Picture,
    /// The media of an accepted call are set up: pass to [`HubLink::install_call`].
    CallReady(CallReady),
}

/// A call session set up off the UI thread.
pub struct CallReady(Box<CallSession>);

impl std::fmt::Debug for CallReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CallReady({})", self.0.call_id())
    }
}

/// Delivers events; called on the link's threads, must return quickly.
pub type DeliverConsult = Arc<dyn Fn(ConsultEvent) + Send + Sync>;

/// The running link to the hub. Dropping it hangs up and disconnects.
pub struct HubLink {
    client: HubClient,
    call: Option<CallSession>,
    /// The call whose media is being set up, and the hub's news for it
    /// that came meanwhile.
    pending: Option<(CallId, Vec<HubEvent>)>,
    sources: SourceSettings,
    session: SessionConfig,
    muted: Switch,
    remote: Arc<PictureSlot>,
    own: Arc<PictureSlot>,
    voice: Arc<VoiceCounters>,
    volume: f32,
    deliver: DeliverConsult,
    embedded: Option<EmbeddedHub>,
}

impl HubLink {
    /// Connects to the configured hub (starting the embedded one first
    /// when configured). None when the service is switched off; an error
    /// when the embedded hub cannot start.
    pub fn start(config: &Config, deliver: DeliverConsult) -> Result<Option<HubLink>, String> {
        let c = &config.consultation;
        if !c.enabled() {
            return Ok(None);
        }
        let office = config.terminal.office_name.clone();
        let (embedded, url, token) = if c.embedded() {
            let hub = EmbeddedHub::start(
                &c.embedded_listen,
                &config.storage.data_dir().join("hub"),
                &c.terminal_id,
                &office,
            )?;
            log::warn!(
                "embedded hub: for development and demonstrations only (lawyers elsewhere cannot answer; set [consultation] hub for a real deployment)"
            );
            log::info!(
                "embedded hub: lawyer console at {} (user \"{}\", password in {})",
                hub.console_url(),
                embedded_hub::LAWYER_USERNAME,
                hub.password_file.display()
            );
            let (url, token) = (hub.terminal_url(), hub.token.clone());
            (Some(hub), url, token)
        } else {
            (None, c.hub.clone(), c.token.clone())
        };
        let client_events = deliver.clone();
        let client = HubClient::start(
            HubClientConfig::new(url, c.terminal_id.clone(), token, office),
            move |event| client_events(ConsultEvent::Hub(event)),
        );
        let sources = SourceSettings {
            video: match c.camera.as_str() {
                "auto" => VideoInput::Auto,
                "test-pattern" => VideoInput::TestPattern,
                path => VideoInput::Device(path.into()),
            },
            audio: match c.microphone.as_str() {
                "tone" => AudioInput::Tone,
                _ => AudioInput::Auto,
            },
            ..SourceSettings::default()
        };
        let session = SessionConfig {
            call: CallConfig::default(),
            restart_after: Duration::from_secs(c.restart_after_secs),
            give_up_after: Duration::from_secs(c.give_up_after_secs),
        };
        Ok(Some(HubLink {
            client,
            call: None,
            pending: None,
            sources,
            session,
            muted: Switch::new(false),
            remote: Arc::default(),
            own: Arc::default(),
            voice: Arc::default(),
            volume: config.audio.volume,
            deliver,
            embedded,
        }))
    }

    /// Calls in tests and benchmarks stay on loopback with synthetic media.
    pub fn use_loopback_media(&mut self) {
        self.session.call = CallConfig::loopback();
        self.sources = SourceSettings::synthetic();
    }

    /// The embedded hub, when this link started one.
    pub fn embedded_hub(&self) -> Option<&EmbeddedHub> {
        self.embedded.as_ref()
    }

    /// Sends what the consultation owes the hub.
    pub fn send(&self, command: HubCommand) {
        match command {
            HubCommand::RequestCall {
                topic,
                resident_name,
                masked_id,
            } => self
                .client
                .request_call(topic, resident_name, masked_id, None),
            HubCommand::CancelCall => self.client.cancel_call(),
            // The session tells the hub itself (once) when it has one.
            HubCommand::HangUp => match &self.call {
                Some(call) => call.hang_up(),
                None => self.client.hang_up(),
            },
            HubCommand::LeaveMessage {
                topic,
                name,
                callback_phone,
                text,
            } => self.client.leave_message(topic, name, callback_phone, text),
        }
    }

    /// Passes the hub's news on to the call in progress (its signaling).
    pub fn hub_event(&mut self, event: &HubEvent) {
        if let Some(call) = &self.call {
            call.handle_hub_event(event);
        } else if let Some((_, news)) = self.pending.as_mut() {
            news.push(event.clone());
        }
    }

    /// The lawyer accepted: sets up the media (camera or pattern,
    /// microphone or tone) and the peer on a thread of its own — opening a
    /// camera can take a second or two — which hands the running session
    /// back as [`ConsultEvent::CallReady`] for [`HubLink::install_call`].
    pub fn start_call(&mut self, call_id: CallId, ice_servers: &[IceServer]) {
        self.end_call();
        self.muted.set(false);
        self.remote.clear();
        self.own.clear();
        self.pending = Some((call_id.clone(), Vec::new()));
        let setup = CallSetup {
            sender: self.client.sender(),
            call_id,
            ice_servers: ice_servers.to_vec(),
            sources: self.sources.clone(),
            session: self.session.clone(),
            muted: self.muted.clone(),
            remote: self.remote.clone(),
            own: self.own.clone(),
            voice: self.voice.clone(),
            volume: self.volume,
            deliver: self.deliver.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("call-setup".into())
            .spawn(move || setup.run());
        if let Err(e) = spawned {
            log::error!("cannot start the call set-up thread: {e}");
            self.pending = None;
        }
    }

    /// Takes over the session [`ConsultEvent::CallReady`] brought, if it is
    /// still wanted (otherwise it is hung up), and replays the hub's news
    /// that came meanwhile.
    pub fn install_call(&mut self, ready: CallReady) {
        let session = *ready.0;
        match self.pending.take() {
            Some((id, news)) if &id == session.call_id() => {
                for event in &news {
                    session.handle_hub_event(event);
                }
                self.call = Some(session);
            }
            other => {
                self.pending = other;
                join_in_background(session);
            }
        }
    }

    /// Stops the media of the call (if any), without blocking the caller.
    pub fn end_call(&mut self) {
        self.pending = None;
        if let Some(call) = self.call.take() {
            join_in_background(call);
        }
        self.remote.clear();
        self.own.clear();
    }

    /// A call's media is running or being set up.
    pub fn in_call(&self) -> bool {
        self.call.is_some() || self.pending.is_some()
    }

    pub fn set_muted(&self, muted: bool) {
        self.muted.set(muted);
    }

    /// The lawyer's newest picture, if a new one arrived.
    pub fn remote_picture(&self) -> Option<slint::SharedPixelBuffer<slint::Rgba8Pixel>> {
        self.remote.take()
    }

    /// The resident's own newest picture (self-view).
    pub fn self_picture(&self) -> Option<slint::SharedPixelBuffer<slint::Rgba8Pixel>> {
        self.own.take()
    }

    /// Remote pictures shown and audio samples received so far (tests).
    pub fn media_counts(&self) -> (u64, u64) {
        (
            self.remote.shown(),
            self.voice
                .samples
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// The call's own counters (frames decoded, bytes, quality).
    pub fn call_stats(&self) -> Option<kiosk_call::CallStats> {
        self.call.as_ref().map(|c| c.stats())
    }
}

impl Drop for HubLink {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.join();
        }
    }
}

/// Converts each picture off the UI thread and wakes the UI only when it
/// has shown the previous one. Ends when the call drops its sender.
fn forward_pictures(
    frames: flume::Receiver<kiosk_call::VideoFrame>,
    slot: &Arc<PictureSlot>,
    deliver: &DeliverConsult,
) {
    let (slot, deliver) = (slot.clone(), deliver.clone());
    let spawned = std::thread::Builder::new()
        .name("call-pictures".into())
        .spawn(move || {
            for frame in frames.iter() {
                if let Some(buffer) = picture::to_pixel_buffer(&frame)
                    && slot.put(buffer)
                {
                    deliver(ConsultEvent::Picture);
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the picture thread: {e}");
    }
}

/// Hangs up and waits for the media threads on a thread of its own.
fn join_in_background(session: CallSession) {
    let spawned = std::thread::Builder::new()
        .name("call-end".into())
        .spawn(move || session.join());
    if let Err(e) = spawned {
        log::error!("cannot start the hang-up thread: {e}");
    }
}

/// Everything the set-up thread needs to start a call.
struct CallSetup {
    sender: kiosk_hub_client::HubSender,
    call_id: CallId,
    ice_servers: Vec<IceServer>,
    sources: SourceSettings,
    session: SessionConfig,
    muted: Switch,
    remote: Arc<PictureSlot>,
    own: Arc<PictureSlot>,
    voice: Arc<VoiceCounters>,
    volume: f32,
    deliver: DeliverConsult,
}

impl CallSetup {
    fn run(self) {
        let (detected_sources, detected) = MediaSources::detect(&self.sources);
        log::info!(
            "call {}: sending {:?} and {:?}",
            self.call_id,
            detected.video,
            detected.audio
        );
        let mut sources = MediaSources {
            video: None,
            audio: None,
        };
        let mut self_view = None;
        if let Some(video) = detected_sources.video {
            let (tapped, pictures) = SelfView::new(
                video,
                SelfViewSettings {
                    width: 320,
                    ..SelfViewSettings::default()
                },
            );
            sources.video = Some(Box::new(tapped));
            self_view = Some(pictures);
        }
        if let Some(audio) = detected_sources.audio {
            sources.audio = Some(Box::new(kiosk_call::Mute::with_switch(
                audio,
                self.muted.clone(),
            )));
        }
        let events = self.deliver.clone();
        let id = self.call_id.clone();
        let session = CallSession::start(
            self.sender,
            self.call_id,
            &self.ice_servers,
            self.session,
            sources,
            move |event| {
                events(ConsultEvent::Call {
                    call_id: id.clone(),
                    event,
                })
            },
        );
        forward_pictures(session.video_frames(), &self.remote, &self.deliver);
        if let Some(pictures) = self_view {
            forward_pictures(pictures, &self.own, &self.deliver);
        }
        let (audio, counters, volume) = (session.audio(), self.voice, self.volume);
        let spawned = std::thread::Builder::new()
            .name("call-voice".into())
            .spawn(move || voice::play(audio, counters, volume));
        if let Err(e) = spawned {
            log::error!("cannot start the call's audio thread: {e}");
        }
        (self.deliver)(ConsultEvent::CallReady(CallReady(Box::new(session))));
    }
}
