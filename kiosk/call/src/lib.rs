//! The terminal's media and peer engine for the video consultation
//! (视频咨询): a webrtc-rs peer that is always the **offerer**, sending VP8
//! video and Opus audio and decoding what the duty lawyer's browser sends.
//!
//! What is here and why:
//! - [`Call`]: one consultation. It creates the offer, applies the lawyer's
//!   answer, trickles ICE both ways (remote candidates that arrive before the
//!   answer are buffered), restarts ICE on request and reports everything as
//!   [`CallEvent`]s on a channel. Signaling transport (the hub WebSocket) and
//!   UI are not here: the hub client moves [`SessionDescription`]s and
//!   [`IceCandidate`]s (serde, in the browser's JSON shape), the UI reads
//!   [`VideoFrame`]s and [`AudioChunk`]s from channels.
//! - Media out: a [`VideoSource`] and an [`AudioSource`] feed encoder
//!   threads. [`MediaSources::detect`] opens the V4L2 [`Camera`] (YUYV, or
//!   MJPEG decoded in Rust, converted to I420) and the cpal [`Microphone`]
//!   (any format, mixed to mono, resampled to 48 kHz) when they are present
//!   and deliver, and falls back to the synthetic [`TestPattern`] and
//!   [`SineTone`] (also the [`MediaSources::default`]), reporting its choice
//!   as [`Detected`]. Without a sound card ALSA is never touched. The
//!   wrappers in [`tap`] give the UI a [`Mute`] and a [`CameraOff`] switch
//!   and a [`SelfView`] channel of small RGBA pictures of the resident.
//!   Encoded samples are paced in real time and written to the peer from
//!   the call's own async runtime. A keyframe goes out on (re)connect, on
//!   every PLI/FIR from the lawyer (forwarded by an extra interceptor, since
//!   webrtc-rs' default chain swallows them) and at least every
//!   `keyframe_interval` as a safety net.
//! - Media in: VP8 and Opus are decoded on their own threads (codec state is
//!   not safe to hold across `.await`), converted to RGB(A) / i16 PCM.
//! - Each call owns a small tokio runtime and a handful of named threads
//!   (`kcall-*`); [`Call::hang_up`] stops and joins all of them, which
//!   [`Call::live_threads`] lets tests verify.
//!
//! Bytes from the network never cause a panic: RTP payloads go through the
//! depacketizer and libvpx/libopus, whose errors are counted and logged.
//! Nor does anything a camera or microphone does: no device, busy, unplugged
//! mid-call, silent or corrupt data are [`SourceError`]s in plain English.

mod call;
pub mod camera;
mod detect;
mod keyframe;
mod media;
pub mod microphone;
pub mod source;
mod stats;
pub mod tap;
pub mod vp8;

pub use call::{Call, block_on};
pub use camera::{Camera, CameraSettings};
pub use detect::{AudioInput, AudioOrigin, Detected, SourceSettings, VideoInput, VideoOrigin};
pub use microphone::{Microphone, MicrophoneSettings};
pub use source::{
    AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, AudioSource, I420Frame, SineTone, SourceError,
    TestPattern, VideoSource,
};
pub use stats::{CallStats, Quality};
pub use tap::{CameraOff, Mute, SelfView, SelfViewSettings, Switch};
pub use vp8::PixelFormat;

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

/// Errors of the call API.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("webrtc: {0}")]
    WebRtc(String),
    #[error("invalid signaling input: {0}")]
    Signaling(String),
    #[error("media setup: {0}")]
    Media(String),
    #[error("the call has been hung up")]
    HungUp,
    #[error("runtime: {0}")]
    Runtime(String),
}

impl From<webrtc::error::Error> for CallError {
    fn from(e: webrtc::error::Error) -> Self {
        CallError::WebRtc(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, CallError>;

/// A STUN or TURN server. For TURN with the hub's short-lived credentials,
/// `username` is `<expiry>:<id>` and `credential` the HMAC password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    /// `stun:host:port`, `turn:host:port?transport=udp`, `turns:...`
    pub urls: Vec<String>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub credential: String,
}

/// Video encoding settings.
#[derive(Clone, Debug)]
pub struct VideoSettings {
    pub bitrate_kbps: u32,
    /// A keyframe at least this often.
    pub keyframe_interval: Duration,
    /// libvpx encoder threads.
    pub encoder_threads: u32,
    /// libvpx `cpu-used` (higher = faster, lower quality), -16..=16.
    pub cpu_used: i32,
    /// Layout of decoded frames delivered to the UI.
    pub output_format: PixelFormat,
}

impl Default for VideoSettings {
    fn default() -> Self {
        Self {
            bitrate_kbps: 800,
            keyframe_interval: Duration::from_millis(1500),
            encoder_threads: 1,
            cpu_used: 8,
            output_format: PixelFormat::Rgba8,
        }
    }
}

/// Everything a call needs to know before it starts.
#[derive(Clone, Debug)]
pub struct CallConfig {
    pub ice_servers: Vec<IceServer>,
    /// Only relay candidates (forces TURN; for networks where direct fails).
    pub relay_only: bool,
    /// Local UDP addresses to bind. webrtc-rs advertises exactly what it
    /// binds: give real interface addresses (or `0.0.0.0:0`, which it expands
    /// to every non-loopback interface), and `127.0.0.1:0` in tests.
    pub udp_bind: Vec<SocketAddr>,
    pub video: VideoSettings,
    /// Opus bitrate in bits per second.
    pub audio_bitrate: i32,
    /// How often a [`CallEvent::Stats`] is emitted.
    pub stats_interval: Duration,
    /// No media received for this long while connected emits
    /// [`CallEvent::MediaStalled`] (the signaling side may then restart ICE).
    pub stall_timeout: Duration,
}

impl Default for CallConfig {
    fn default() -> Self {
        Self {
            ice_servers: Vec::new(),
            relay_only: false,
            udp_bind: vec![SocketAddr::from(([0, 0, 0, 0], 0))],
            video: VideoSettings::default(),
            audio_bitrate: 32_000,
            stats_interval: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(5),
        }
    }
}

impl CallConfig {
    /// Loopback-only configuration for tests and benchmarks (no ICE servers,
    /// binds 127.0.0.1).
    pub fn loopback() -> Self {
        Self {
            udp_bind: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            ..Self::default()
        }
    }
}

/// What the call sends. Defaults: the synthetic test pattern (640x480, 30 fps)
/// and a 440 Hz tone.
pub struct MediaSources {
    pub video: Option<Box<dyn VideoSource>>,
    pub audio: Option<Box<dyn AudioSource>>,
}

impl Default for MediaSources {
    fn default() -> Self {
        Self {
            video: Some(Box::new(TestPattern::default())),
            audio: Some(Box::new(SineTone::default())),
        }
    }
}

/// Kind of a session description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpKind {
    Offer,
    Answer,
}

/// An SDP offer or answer, serialised like the browser's
/// `RTCSessionDescriptionInit`: `{"type":"offer","sdp":"..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDescription {
    #[serde(rename = "type")]
    pub kind: SdpKind,
    pub sdp: String,
}

/// A trickled ICE candidate, serialised like the browser's
/// `RTCIceCandidateInit`. `None` in place of a candidate means "end of
/// candidates".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(rename = "sdpMid", default)]
    pub sdp_mid: Option<String>,
    #[serde(rename = "sdpMLineIndex", default)]
    pub sdp_mline_index: Option<u16>,
    #[serde(rename = "usernameFragment", default)]
    pub username_fragment: Option<String>,
}

/// A decoded remote video picture.
#[derive(Clone, Debug)]
pub struct VideoFrame {
    pub width: u32,
    pub height: u32,
    pub format: PixelFormat,
    /// Rows of `width * format.bytes_per_pixel()` bytes, no padding.
    pub pixels: Vec<u8>,
}

/// 20 ms (normally) of decoded remote audio, 48 kHz mono i16.
#[derive(Clone, Debug)]
pub struct AudioChunk {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
}

impl AudioChunk {
    /// The same samples as f32 in -1.0..1.0.
    pub fn to_f32(&self) -> Vec<f32> {
        self.samples
            .iter()
            .map(|&s| s as f32 / i16::MAX as f32)
            .collect()
    }
}

/// Peer connection state as reported in events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    New,
    Connecting,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

/// What a call reports, in order, on [`Call::events`].
#[derive(Clone, Debug)]
pub enum CallEvent {
    /// A local candidate to send to the lawyer; `None` = gathering finished
    /// (send the browser a null candidate).
    LocalCandidate(Option<IceCandidate>),
    /// Media path up (first time or after a restart/recovery).
    Connected,
    /// Connectivity lost; may recover by itself or after an ICE restart.
    Disconnected,
    /// ICE/DTLS failed; restart ICE or end the call.
    Failed,
    /// The peer connection is closed.
    Closed,
    /// First remote picture decoded (and on every size change).
    RemoteVideoStarted { width: u32, height: u32 },
    /// First remote audio decoded.
    RemoteAudioStarted,
    /// No remote media for [`CallConfig::stall_timeout`] while connected.
    MediaStalled,
    /// Periodic counters.
    Stats(CallStats),
    /// A media thread gave up (source or codec error); the call goes on.
    MediaError(String),
}
