//! Media threads and the glue between them and the peer connection.
//!
//! Layout (per call):
//! ```text
//! VideoSource -> [kcall-venc: pace, VP8 encode] -> tokio mpsc -> writer task -> track
//! AudioSource -> [kcall-aenc: pace, Opus encode] -> tokio mpsc -> writer task -> track
//! remote track -> reader task (depacketize, loss check) -> std mpsc -> [kcall-vdec] -> VideoFrame channel
//! remote track -> reader task -> std mpsc -> [kcall-adec] -> AudioChunk channel
//! ```
//! Codec state never crosses an `.await`: encoders and decoders live on
//! plain threads. Every thread polls a shared stop flag at least every
//! 100 ms, so hang-up can join them promptly. Channels towards the UI are
//! bounded and drop when full: a slow UI loses frames, never memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use rtc::rtp::packetizer::Depacketizer;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::rtp_transceiver::RtpSender;

use crate::source::{AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, AudioSource, I420Frame, VideoSource};
use crate::stats::Counters;
use crate::vp8::{PixelFormat, Vp8Decoder, Vp8Encoder, Vp8EncoderConfig, i420_to_rgb};
use crate::{AudioChunk, CallEvent, VideoFrame};

/// Counts the threads a call started that are still running.
#[derive(Clone, Default)]
pub(crate) struct ThreadTracker(Arc<AtomicUsize>);

struct ThreadGuard(Arc<AtomicUsize>);

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ThreadTracker {
    pub fn live(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Marks the current thread as live until the returned guard drops
    /// (used for the runtime's own threads via its start/stop hooks).
    pub fn enter(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn leave(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn spawn<F>(&self, name: &str, f: F) -> std::io::Result<JoinHandle<()>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.0.fetch_add(1, Ordering::SeqCst);
        let guard = ThreadGuard(self.0.clone());
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _guard = guard;
                f()
            })
    }
}

/// State shared by the media threads and the peer event handler.
pub(crate) struct Shared {
    pub stop: AtomicBool,
    /// Encoders only produce while this is set (after the first Connected).
    pub sending: AtomicBool,
    pub force_keyframe: AtomicBool,
    /// Peer connection currently connected.
    pub connected: AtomicBool,
    pub counters: Counters,
    pub events: flume::Sender<CallEvent>,
    /// Last time any remote RTP arrived (ms since `epoch`).
    pub last_rx_ms: std::sync::atomic::AtomicU64,
    pub epoch: Instant,
    /// The remote video track and its SSRC, for sending keyframe requests.
    pub remote_video: std::sync::Mutex<Option<(Arc<dyn TrackRemote>, u32)>>,
    /// Wakes the encoder threads waiting for `sending` (or `stop`) at once:
    /// the first frame must not wait for a poll interval.
    wake: (std::sync::Mutex<()>, std::sync::Condvar),
}

impl Shared {
    pub fn new(events: flume::Sender<CallEvent>) -> Self {
        Self {
            stop: AtomicBool::new(false),
            sending: AtomicBool::new(false),
            force_keyframe: AtomicBool::new(true),
            connected: AtomicBool::new(false),
            counters: Counters::new(),
            events,
            last_rx_ms: std::sync::atomic::AtomicU64::new(0),
            epoch: Instant::now(),
            remote_video: std::sync::Mutex::new(None),
            wake: (std::sync::Mutex::new(()), std::sync::Condvar::new()),
        }
    }

    /// Starts (or pauses) the encoders; waiting ones wake up immediately.
    pub fn set_sending(&self, on: bool) {
        self.sending.store(on, Ordering::Relaxed);
        self.notify();
    }

    /// Tells every media thread to stop; waiting ones wake up immediately.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.notify();
    }

    fn notify(&self) {
        let _guard = self.wake.0.lock().unwrap_or_else(|p| p.into_inner());
        self.wake.1.notify_all();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn emit(&self, e: CallEvent) {
        let _ = self.events.send(e);
    }

    pub fn mark_rx(&self) {
        let ms = self.epoch.elapsed().as_millis() as u64;
        self.last_rx_ms.store(ms.max(1), Ordering::Relaxed);
    }
}

/// An encoded sample ready for the track.
pub(crate) struct OutSample {
    pub data: Bytes,
    pub duration: Duration,
}

/// Sleeps until `deadline`, waking at least every 50 ms to check `stop`.
/// Returns false when stopped.
fn sleep_until(shared: &Shared, deadline: Instant) -> bool {
    loop {
        if shared.stopped() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}

/// Waits until sending is enabled (woken by [`Shared::set_sending`], no
/// polling delay); false when stopped first.
fn wait_for_sending(shared: &Shared) -> bool {
    let mut guard = shared.wake.0.lock().unwrap_or_else(|p| p.into_inner());
    while !shared.sending.load(Ordering::Relaxed) {
        if shared.stopped() {
            return false;
        }
        // The timeout is only a safety net; set_sending/request_stop notify.
        guard = match shared
            .wake
            .1
            .wait_timeout(guard, Duration::from_millis(100))
        {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        };
    }
    true
}

pub(crate) struct VideoEncodeParams {
    pub bitrate_kbps: u32,
    pub keyframe_interval: Duration,
    pub threads: u32,
    pub cpu_used: i32,
}

/// The video encoder thread body.
pub(crate) fn run_video_encoder(
    shared: Arc<Shared>,
    mut source: Box<dyn VideoSource>,
    params: VideoEncodeParams,
    out: tokio::sync::mpsc::Sender<OutSample>,
) {
    let (w, h) = source.size();
    let fps = source.fps().clamp(1, 60);
    let kf_frames = ((params.keyframe_interval.as_secs_f64() * fps as f64).round() as u32).max(1);
    let mut encoder = match Vp8Encoder::new(Vp8EncoderConfig {
        width: w,
        height: h,
        fps,
        bitrate_kbps: params.bitrate_kbps,
        keyframe_interval: kf_frames,
        threads: params.threads,
        cpu_used: params.cpu_used,
    }) {
        Ok(e) => e,
        Err(e) => {
            log::error!("video encoder: {e}");
            shared.emit(CallEvent::MediaError(format!("video encoder: {e}")));
            return;
        }
    };
    let period = Duration::from_secs_f64(1.0 / fps as f64);
    let mut frame = I420Frame::new(w, h);
    let mut since_key = u32::MAX;
    let paced = !source.device_paced();
    if !wait_for_sending(&shared) {
        return;
    }
    let mut next = Instant::now();
    while !shared.stopped() {
        if paced {
            if !sleep_until(&shared, next) {
                break;
            }
            next += period;
            // After a stall (e.g. the machine was busy), do not burst to catch up.
            let now = Instant::now();
            if next + period * 3 < now {
                next = now + period;
            }
        }
        if let Err(e) = source.next_frame(&mut frame) {
            log::error!("video source: {e}");
            shared.emit(CallEvent::MediaError(format!("video source: {e}")));
            return;
        }
        let force = shared.force_keyframe.swap(false, Ordering::Relaxed) || since_key >= kf_frames;
        let encoded = match encoder.encode(&frame.data, force) {
            Ok(f) => f,
            Err(e) => {
                log::warn!("video encode: {e}");
                continue;
            }
        };
        since_key = since_key.saturating_add(1);
        for f in encoded {
            if f.keyframe {
                since_key = 1;
                Counters::add(&shared.counters.keyframes_sent, 1);
            }
            let len = f.data.len() as u64;
            let sample = OutSample {
                data: Bytes::from(f.data),
                duration: period,
            };
            match out.try_send(sample) {
                Ok(()) => {
                    Counters::add(&shared.counters.frames_sent, 1);
                    Counters::add(&shared.counters.video_bytes_sent, len);
                }
                Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                    // The network side is behind: drop, and restart the
                    // reference chain with a keyframe.
                    shared.force_keyframe.store(true, Ordering::Relaxed);
                }
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
    }
}

/// The audio encoder thread body.
pub(crate) fn run_audio_encoder(
    shared: Arc<Shared>,
    mut source: Box<dyn AudioSource>,
    bitrate: i32,
    out: tokio::sync::mpsc::Sender<OutSample>,
) {
    let mut encoder = match opus::Encoder::new(
        AUDIO_SAMPLE_RATE,
        opus::Channels::Mono,
        opus::Application::Voip,
    ) {
        Ok(e) => e,
        Err(e) => {
            shared.emit(CallEvent::MediaError(format!("opus encoder: {e}")));
            return;
        }
    };
    let _ = encoder.set_bitrate(opus::Bitrate::Bits(bitrate));
    let period = Duration::from_millis(20);
    let mut pcm = vec![0i16; AUDIO_FRAME_SAMPLES];
    let mut packet = vec![0u8; 1500];
    let paced = !source.device_paced();
    if !wait_for_sending(&shared) {
        return;
    }
    let mut next = Instant::now();
    while !shared.stopped() {
        if paced {
            if !sleep_until(&shared, next) {
                break;
            }
            next += period;
            let now = Instant::now();
            if next + period * 5 < now {
                next = now + period;
            }
        }
        if let Err(e) = source.next_frame(&mut pcm) {
            shared.emit(CallEvent::MediaError(format!("audio source: {e}")));
            return;
        }
        let n = match encoder.encode(&pcm, &mut packet) {
            Ok(n) => n,
            Err(e) => {
                log::warn!("opus encode: {e}");
                continue;
            }
        };
        let sample = OutSample {
            data: Bytes::copy_from_slice(&packet[..n]),
            duration: period,
        };
        match out.try_send(sample) {
            Ok(()) => {
                Counters::add(&shared.counters.audio_packets_sent, 1);
                Counters::add(&shared.counters.audio_bytes_sent, n as u64);
            }
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

/// Async task: writes encoded samples to the local track with the payload
/// type negotiated for its sender (read after negotiation, re-read after a
/// failed write, since a renegotiation may change it).
pub(crate) async fn write_samples(
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
    mut rx: tokio::sync::mpsc::Receiver<OutSample>,
    kind: &'static str,
) {
    use webrtc::media_stream::Track;
    let mut target: Option<(u32, u8)> = None;
    let mut failures = 0u64;
    while let Some(s) = rx.recv().await {
        if target.is_none() {
            let ssrc = track.ssrcs().await.first().copied();
            let pt = match sender.get_parameters().await {
                Ok(p) => p.rtp_parameters.codecs.first().map(|c| c.payload_type),
                Err(_) => None,
            };
            if let (Some(ssrc), Some(pt)) = (ssrc, pt) {
                log::debug!("{kind} sender: ssrc {ssrc}, payload type {pt}");
                target = Some((ssrc, pt));
            } else {
                continue;
            }
        }
        let Some((ssrc, pt)) = target else { continue };
        let sample = Sample {
            data: s.data,
            duration: s.duration,
            ..Sample::new(Instant::now())
        };
        if let Err(e) = track.sample_writer(ssrc, pt).write_sample(&sample).await {
            failures += 1;
            if failures == 1 || failures.is_power_of_two() {
                log::debug!("{kind} write_sample failed ({failures} so far): {e}");
            }
            target = None;
        }
    }
}

/// Tracks RTP sequence numbers to count losses.
#[derive(Default)]
struct SeqTracker {
    last: Option<u16>,
}

impl SeqTracker {
    /// Returns the number of packets missing before `seq` (0 for in-order,
    /// duplicates and late packets).
    fn push(&mut self, seq: u16) -> u64 {
        let lost = match self.last {
            None => 0,
            Some(last) => {
                let delta = seq.wrapping_sub(last);
                if delta == 0 || delta > 0x8000 {
                    return 0; // duplicate or reordered/late: ignore
                }
                (delta - 1) as u64
            }
        };
        self.last = Some(seq);
        lost
    }
}

/// Largest VP8 frame accepted from the network.
const MAX_VP8_FRAME: usize = 4 * 1024 * 1024;

/// Outcome of feeding one RTP payload to the [`Vp8Assembler`].
#[derive(Debug, PartialEq)]
pub(crate) enum Assembled {
    Nothing,
    /// A complete frame the decoder can use.
    Frame(Bytes),
    /// A complete frame was dropped because the decoder needs a keyframe
    /// first (after loss): ask the sender for one.
    NeedKeyframe,
}

/// Reassembles VP8 frames from RTP payloads (RFC 7741). Frames with a
/// missing packet are dropped, and after a loss only a keyframe restarts
/// the output, so the decoder never sees a broken reference chain.
/// Arbitrary bytes are handled without panics.
pub(crate) struct Vp8Assembler {
    frame: Vec<u8>,
    in_frame: bool,
    pub need_keyframe: bool,
}

impl Default for Vp8Assembler {
    fn default() -> Self {
        Self {
            frame: Vec::new(),
            in_frame: false,
            need_keyframe: true,
        }
    }
}

impl Vp8Assembler {
    pub fn push(&mut self, payload: &Bytes, marker: bool, lost_before: bool) -> Assembled {
        if lost_before {
            self.frame.clear();
            self.in_frame = false;
            self.need_keyframe = true;
        }
        // A fresh descriptor parser per packet: webrtc-rs' Vp8Packet keeps
        // optional-field flags from the previous packet.
        let mut depacketizer = rtc::rtp::codec::vp8::Vp8Packet::default();
        let head = depacketizer.is_partition_head(payload);
        let Ok(data) = depacketizer.depacketize(payload) else {
            self.in_frame = false;
            return Assembled::Nothing;
        };
        if head {
            self.frame.clear();
            self.in_frame = true;
        }
        if !self.in_frame {
            return Assembled::Nothing;
        }
        self.frame.extend_from_slice(&data);
        if self.frame.len() > MAX_VP8_FRAME {
            self.frame.clear();
            self.in_frame = false;
            return Assembled::Nothing;
        }
        if !marker {
            return Assembled::Nothing;
        }
        self.in_frame = false;
        // VP8 payload header: bit 0 of the first byte is 0 for a keyframe.
        let keyframe = self.frame.first().is_some_and(|b| b & 1 == 0);
        if self.need_keyframe && !keyframe {
            self.frame.clear();
            return Assembled::NeedKeyframe;
        }
        self.need_keyframe = false;
        Assembled::Frame(Bytes::from(std::mem::take(&mut self.frame)))
    }
}

/// Channels from the remote-track reader tasks to the decoder threads.
#[derive(Clone)]
pub(crate) struct DecoderInputs {
    pub video: std_mpsc::SyncSender<Bytes>,
    pub audio: std_mpsc::SyncSender<Bytes>,
}

/// Async task: reads a remote track until it ends, feeding the decoder.
pub(crate) async fn read_remote_track(
    shared: Arc<Shared>,
    track: Arc<dyn TrackRemote>,
    inputs: DecoderInputs,
) {
    use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
    let kind = track.kind().await;
    let ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let mime = track
        .codec(ssrc)
        .await
        .map(|c| c.mime_type.to_ascii_lowercase())
        .unwrap_or_default();
    log::info!("remote {kind} track, codec {mime}");
    let is_video = kind == RtpCodecKind::Video;
    if is_video && mime != "video/vp8" {
        shared.emit(CallEvent::MediaError(format!(
            "remote video codec {mime} is not supported"
        )));
    }
    if is_video {
        let mut slot = shared
            .remote_video
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *slot = Some((track.clone(), ssrc));
    }
    let mut seq = SeqTracker::default();
    let mut assembler = Vp8Assembler::default();
    let mut last_pli: Option<Instant> = None;
    let counters = &shared.counters;

    while let Some(event) = track.poll().await {
        if shared.stopped() {
            break;
        }
        let packet = match event {
            TrackRemoteEvent::OnRtpPacket(p) => p,
            TrackRemoteEvent::OnRtcpPacket(packets) => {
                // Keyframe requests about our stream may be routed here (the
                // remote track of the same send-receive transceiver).
                note_keyframe_requests(&shared, &packets);
                continue;
            }
            TrackRemoteEvent::OnEnded => break,
            _ => continue,
        };
        shared.mark_rx();
        Counters::add(&counters.bytes_received, packet.payload.len() as u64);
        let lost = seq.push(packet.header.sequence_number);
        if lost > 0 {
            Counters::add(&counters.packets_lost, lost);
        }
        if !is_video {
            Counters::add(&counters.audio_packets_received, 1);
            if !packet.payload.is_empty() {
                let _ = inputs.audio.try_send(packet.payload.clone());
            }
            continue;
        }
        Counters::add(&counters.video_packets_received, 1);
        if mime != "video/vp8" {
            continue;
        }
        match assembler.push(&packet.payload, packet.header.marker, lost > 0) {
            Assembled::Nothing => {}
            Assembled::Frame(data) => {
                if inputs.video.try_send(data).is_err() {
                    // Decoder behind: the next frames would reference this one.
                    assembler.need_keyframe = true;
                }
            }
            Assembled::NeedKeyframe => {
                let due = last_pli.is_none_or(|t| t.elapsed() > Duration::from_millis(500));
                if due {
                    last_pli = Some(Instant::now());
                    send_pli(track.as_ref(), packet.header.ssrc).await;
                }
            }
        }
    }
    log::info!("remote {kind} track ended");
}

/// Asks the remote sender for a keyframe (RTCP PLI).
pub(crate) async fn send_pli(track: &dyn TrackRemote, media_ssrc: u32) {
    let pli = rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication {
        sender_ssrc: 0,
        media_ssrc,
    };
    if let Err(e) = track.write_rtcp(vec![Box::new(pli)]).await {
        log::debug!("PLI not sent: {e}");
    }
}

/// Async task: watches the local video track for keyframe requests (PLI/FIR
/// forwarded by [`crate::keyframe`]) and forces a keyframe for each.
pub(crate) async fn watch_keyframe_requests(
    shared: Arc<Shared>,
    track: Arc<TrackLocalStaticSample>,
) {
    use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
    while let Some(event) = track.poll().await {
        if shared.stopped() {
            break;
        }
        if let TrackLocalEvent::OnRtcpPacket(packets) = event {
            note_keyframe_requests(&shared, &packets);
        }
    }
}

fn note_keyframe_requests(shared: &Shared, packets: &[Box<dyn rtc::rtcp::Packet>]) {
    if packets
        .iter()
        .any(|p| crate::keyframe::is_keyframe_request(p.as_ref()))
    {
        Counters::add(&shared.counters.keyframe_requests_received, 1);
        shared.force_keyframe.store(true, Ordering::Relaxed);
    }
}

/// The VP8 decoder thread body.
pub(crate) fn run_video_decoder(
    shared: Arc<Shared>,
    input: std_mpsc::Receiver<Bytes>,
    output: flume::Sender<VideoFrame>,
    format: PixelFormat,
) {
    let mut decoder = match Vp8Decoder::new(1) {
        Ok(d) => d,
        Err(e) => {
            shared.emit(CallEvent::MediaError(format!("video decoder: {e}")));
            return;
        }
    };
    let mut size = (0, 0);
    while !shared.stopped() {
        let data = match input.recv_timeout(Duration::from_millis(100)) {
            Ok(d) => d,
            Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let pictures = match decoder.decode(&data) {
            Ok(p) => p,
            Err(e) => {
                Counters::add(&shared.counters.decode_errors, 1);
                log::debug!("vp8 decode: {e}");
                continue;
            }
        };
        for pic in pictures {
            Counters::add(&shared.counters.frames_decoded, 1);
            if (pic.width, pic.height) != size {
                size = (pic.width, pic.height);
                shared.emit(CallEvent::RemoteVideoStarted {
                    width: pic.width,
                    height: pic.height,
                });
            }
            if output.is_full() {
                continue; // nobody is looking right now: skip the conversion
            }
            let pixels = i420_to_rgb(pic.width, pic.height, &pic.data, format);
            let _ = output.try_send(VideoFrame {
                width: pic.width,
                height: pic.height,
                format,
                pixels,
            });
        }
    }
}

/// The Opus decoder thread body.
pub(crate) fn run_audio_decoder(
    shared: Arc<Shared>,
    input: std_mpsc::Receiver<Bytes>,
    output: flume::Sender<AudioChunk>,
) {
    let mut decoder = match opus::Decoder::new(AUDIO_SAMPLE_RATE, opus::Channels::Mono) {
        Ok(d) => d,
        Err(e) => {
            shared.emit(CallEvent::MediaError(format!("opus decoder: {e}")));
            return;
        }
    };
    // Up to 120 ms per packet.
    let mut pcm = vec![0i16; 5760];
    let mut started = false;
    while !shared.stopped() {
        let data = match input.recv_timeout(Duration::from_millis(100)) {
            Ok(d) => d,
            Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let n = match decoder.decode(&data, &mut pcm, false) {
            Ok(n) => n.min(pcm.len()),
            Err(e) => {
                Counters::add(&shared.counters.decode_errors, 1);
                log::debug!("opus decode: {e}");
                continue;
            }
        };
        let samples = &pcm[..n];
        let audible = samples.iter().filter(|s| s.unsigned_abs() > 0).count() as u64;
        Counters::add(&shared.counters.audio_samples_decoded, audible);
        if !started && audible > 0 {
            started = true;
            shared.emit(CallEvent::RemoteAudioStarted);
        }
        let _ = output.try_send(AudioChunk {
            sample_rate: AUDIO_SAMPLE_RATE,
            channels: 1,
            samples: samples.to_vec(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_tracker_counts_gaps_across_wraparound_and_ignores_late_packets() {
        let mut s = SeqTracker::default();
        assert_eq!(s.push(65534), 0);
        assert_eq!(s.push(65535), 0);
        assert_eq!(s.push(2), 2); // 0 and 1 missing
        assert_eq!(s.push(1), 0); // late
        assert_eq!(s.push(2), 0); // duplicate
        assert_eq!(s.push(3), 0);
    }

    /// RTP payloads of one VP8 frame: descriptor byte (S bit on the first) + data.
    fn packets(frame: &[u8], chunk: usize) -> Vec<(Bytes, bool)> {
        let n = frame.len().div_ceil(chunk);
        frame
            .chunks(chunk)
            .enumerate()
            .map(|(i, c)| {
                let mut p = vec![if i == 0 { 0x10 } else { 0x00 }];
                p.extend_from_slice(c);
                (Bytes::from(p), i + 1 == n)
            })
            .collect()
    }

    #[test]
    fn vp8_assembler_rebuilds_frames_and_waits_for_a_keyframe_after_loss() {
        let key: Vec<u8> = std::iter::once(0x00)
            .chain((0..2999).map(|i| i as u8))
            .collect();
        let delta: Vec<u8> = std::iter::once(0x01)
            .chain((0..1999).map(|i| i as u8))
            .collect();
        let mut a = Vp8Assembler::default();
        // A delta frame first: dropped, keyframe requested.
        let mut out = Vec::new();
        for (p, m) in packets(&delta, 1000) {
            out.push(a.push(&p, m, false));
        }
        assert_eq!(out.last(), Some(&Assembled::NeedKeyframe));
        // The keyframe comes through whole.
        let mut last = Assembled::Nothing;
        for (p, m) in packets(&key, 1000) {
            last = a.push(&p, m, false);
        }
        assert_eq!(last, Assembled::Frame(Bytes::from(key.clone())));
        // Then deltas pass.
        for (p, m) in packets(&delta, 700) {
            last = a.push(&p, m, false);
        }
        assert_eq!(last, Assembled::Frame(Bytes::from(delta.clone())));
        // A loss in the middle of a delta drops it and blocks until a keyframe.
        let ps = packets(&delta, 700);
        assert_eq!(a.push(&ps[0].0, ps[0].1, false), Assembled::Nothing);
        assert_eq!(a.push(&ps[2].0, ps[2].1, true), Assembled::Nothing);
        let mut last = Assembled::Nothing;
        for (p, m) in packets(&delta, 700) {
            last = a.push(&p, m, false);
        }
        assert_eq!(last, Assembled::NeedKeyframe);
    }

    #[test]
    fn vp8_assembler_survives_arbitrary_bytes() {
        let mut a = Vp8Assembler::default();
        let mut x: u32 = 12345;
        for round in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let len = (x >> 16) as usize % 40;
            let bytes: Vec<u8> = (0..len)
                .map(|i| (x.rotate_left(i as u32) >> 3) as u8)
                .collect();
            let _ = a.push(&Bytes::from(bytes), round % 3 == 0, round % 17 == 0);
        }
    }

    #[test]
    fn thread_tracker_counts_until_threads_end() {
        let t = ThreadTracker::default();
        let h = t.spawn("kcall-test", || {
            std::thread::sleep(Duration::from_millis(20))
        });
        assert!(t.live() >= 1 || h.as_ref().is_ok_and(|h| h.is_finished()));
        h.unwrap().join().unwrap();
        assert_eq!(t.live(), 0);
    }
}
