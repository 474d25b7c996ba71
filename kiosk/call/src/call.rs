//! [`Call`]: one peer connection with its runtime, media threads and
//! signaling state.
//!
//! Threading: each call owns a small multi-thread tokio runtime
//! (`kcall-rt` threads) that runs webrtc-rs' driver, the sample writers, the
//! remote-track readers and the stats task. The public async methods spawn
//! their work onto that runtime and await the result, so they can be awaited
//! from any executor (the hub client's tokio, or [`block_on`] on a UI
//! thread). [`Call::hang_up`] is synchronous and stops everything; it moves
//! the runtime shutdown to a helper thread so it is safe to call (or to drop a
//! `Call`) from inside another async runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use tokio::sync::Mutex as AsyncMutex;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceCandidateInit, RTCIceGatheringState, RTCIceServer,
    RTCIceTransportPolicy, RTCPeerConnectionIceEvent, RTCPeerConnectionState, RTCSdpType,
    RTCSessionDescription, SettingEngineBuilder, StatsSelector, register_default_interceptors,
};

use crate::media::{self, DecoderInputs, OutSample, Shared, ThreadTracker, VideoEncodeParams};
use crate::stats::Quality;
use crate::{
    AudioChunk, CallConfig, CallError, CallEvent, CallStats, IceCandidate, MediaSources, Result,
    SdpKind, SessionDescription, VideoFrame,
};

/// ICE connectivity-check pacing while connecting (webrtc-rs: 200 ms, 7).
const ICE_CHECK_INTERVAL: Duration = Duration::from_millis(25);
const ICE_MAX_BINDING_REQUESTS: u16 = 56;

const VP8_PAYLOAD_TYPE: u8 = 96;
const OPUS_PAYLOAD_TYPE: u8 = 111;

/// One video consultation.
pub struct Call {
    rt: StdMutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    inner: Arc<Inner>,
    threads: StdMutex<Vec<JoinHandle<()>>>,
    tracker: ThreadTracker,
    events: flume::Receiver<CallEvent>,
    video_frames: flume::Receiver<VideoFrame>,
    audio: flume::Receiver<AudioChunk>,
}

struct Inner {
    pc: Arc<dyn PeerConnection>,
    shared: Arc<Shared>,
    /// Remote candidates waiting for the remote description.
    pending: AsyncMutex<Vec<RTCIceCandidateInit>>,
}

impl Call {
    /// Sets up a call: builds the peer connection with VP8 + Opus, adds the
    /// local tracks and starts the media threads (which stay idle until the
    /// connection is up). Nothing is sent to the network before
    /// [`Call::create_offer`].
    pub fn start(config: CallConfig, sources: MediaSources) -> Result<Call> {
        let tracker = ThreadTracker::default();
        let (t_start, t_stop) = (tracker.clone(), tracker.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(2)
            .thread_name("kcall-rt")
            .on_thread_start(move || t_start.enter())
            .on_thread_stop(move || t_stop.leave())
            .enable_all()
            .build()
            .map_err(|e| CallError::Runtime(e.to_string()))?;
        let handle = rt.handle().clone();

        let (event_tx, events) = flume::unbounded();
        let shared = Arc::new(Shared::new(event_tx));
        let (video_out_tx, video_frames) = flume::bounded(2);
        let (audio_out_tx, audio) = flume::bounded(50);
        let (vdec_tx, vdec_rx) = std_mpsc::sync_channel(8);
        let (adec_tx, adec_rx) = std_mpsc::sync_channel(50);
        let inputs = DecoderInputs {
            video: vdec_tx,
            audio: adec_tx,
        };

        let has_video = sources.video.is_some();
        let has_audio = sources.audio.is_some();
        let (venc_tx, venc_rx) = tokio::sync::mpsc::channel::<OutSample>(8);
        let (aenc_tx, aenc_rx) = tokio::sync::mpsc::channel::<OutSample>(25);

        let built = run_blocking(
            &handle,
            build_peer(config.clone(), shared.clone(), inputs, has_video, has_audio),
        );
        let (pc, video_track, audio_track) = match built {
            Ok(Ok(v)) => v,
            Ok(Err(e)) | Err(e) => {
                shutdown_runtime(rt);
                return Err(e);
            }
        };
        let inner = Arc::new(Inner {
            pc,
            shared: shared.clone(),
            pending: AsyncMutex::new(Vec::new()),
        });

        let call = Call {
            rt: StdMutex::new(Some(rt)),
            handle: handle.clone(),
            inner,
            threads: StdMutex::new(Vec::new()),
            tracker: tracker.clone(),
            events,
            video_frames,
            audio,
        };

        if let Some((track, sender)) = video_track {
            handle.spawn(media::watch_keyframe_requests(
                shared.clone(),
                track.clone(),
            ));
            handle.spawn(media::write_samples(track, sender, venc_rx, "video"));
        }
        if let Some((track, sender)) = audio_track {
            handle.spawn(media::write_samples(track, sender, aenc_rx, "audio"));
        }
        handle.spawn(stats_task(
            call.inner.clone(),
            config.stats_interval,
            config.stall_timeout,
        ));

        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| -> Result<()> {
            let h = tracker
                .spawn(name, f)
                .map_err(|e| CallError::Runtime(format!("spawn {name}: {e}")))?;
            lock(&call.threads).push(h);
            Ok(())
        };
        let s = shared.clone();
        let format = config.video.output_format;
        spawn(
            "kcall-vdec",
            Box::new(move || media::run_video_decoder(s, vdec_rx, video_out_tx, format)),
        )?;
        let s = shared.clone();
        spawn(
            "kcall-adec",
            Box::new(move || media::run_audio_decoder(s, adec_rx, audio_out_tx)),
        )?;
        if let Some(source) = sources.video {
            let s = shared.clone();
            let params = VideoEncodeParams {
                bitrate_kbps: config.video.bitrate_kbps,
                keyframe_interval: config.video.keyframe_interval,
                threads: config.video.encoder_threads,
                cpu_used: config.video.cpu_used,
            };
            spawn(
                "kcall-venc",
                Box::new(move || media::run_video_encoder(s, source, params, venc_tx)),
            )?;
        }
        if let Some(source) = sources.audio {
            let s = shared.clone();
            let bitrate = config.audio_bitrate;
            spawn(
                "kcall-aenc",
                Box::new(move || media::run_audio_encoder(s, source, bitrate, aenc_tx)),
            )?;
        }
        Ok(call)
    }

    /// Runs `fut` on the call's runtime and awaits its result from any executor.
    async fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        if self.is_hung_up() {
            return Err(CallError::HungUp);
        }
        self.handle
            .spawn(fut)
            .await
            .map_err(|e| CallError::Runtime(e.to_string()))?
    }

    /// Creates the offer (and starts trickling local candidates as
    /// [`CallEvent::LocalCandidate`]). Send it to the lawyer.
    pub async fn create_offer(&self) -> Result<SessionDescription> {
        let inner = self.inner.clone();
        self.run(async move {
            let offer = inner.pc.create_offer(None).await?;
            inner.pc.set_local_description(offer.clone()).await?;
            Ok(to_description(&offer))
        })
        .await
    }

    /// ICE restart (only the offerer restarts): returns a new offer with
    /// fresh ICE credentials; apply the lawyer's answer with
    /// [`Call::apply_answer`] as for the first offer. Media threads keep
    /// running throughout.
    pub async fn restart_ice(&self) -> Result<SessionDescription> {
        let inner = self.inner.clone();
        self.run(async move {
            inner.pc.restart_ice().await?;
            let offer = inner.pc.create_offer(None).await?;
            inner.pc.set_local_description(offer.clone()).await?;
            inner.shared.force_keyframe.store(true, Ordering::Relaxed);
            Ok(to_description(&offer))
        })
        .await
    }

    /// Applies the lawyer's answer, then the remote candidates that arrived
    /// before it.
    pub async fn apply_answer(&self, answer: SessionDescription) -> Result<()> {
        if answer.kind != SdpKind::Answer {
            return Err(CallError::Signaling("expected an answer".into()));
        }
        let inner = self.inner.clone();
        self.run(async move {
            let desc = RTCSessionDescription::answer(answer.sdp)
                .map_err(|e| CallError::Signaling(e.to_string()))?;
            let mut pending = inner.pending.lock().await;
            inner.pc.set_remote_description(desc).await?;
            for c in pending.drain(..) {
                if let Err(e) = inner.pc.add_ice_candidate(c).await {
                    log::warn!("buffered remote candidate rejected: {e}");
                }
            }
            Ok(())
        })
        .await
    }

    /// Answerer mode, for loopback tests and benchmarks only (the kiosk is
    /// always the offerer): applies a remote offer and returns the answer.
    pub async fn accept_offer(&self, offer: SessionDescription) -> Result<SessionDescription> {
        if offer.kind != SdpKind::Offer {
            return Err(CallError::Signaling("expected an offer".into()));
        }
        let inner = self.inner.clone();
        self.run(async move {
            let desc = RTCSessionDescription::offer(offer.sdp)
                .map_err(|e| CallError::Signaling(e.to_string()))?;
            let mut pending = inner.pending.lock().await;
            inner.pc.set_remote_description(desc).await?;
            let answer = inner.pc.create_answer(None).await?;
            inner.pc.set_local_description(answer.clone()).await?;
            for c in pending.drain(..) {
                if let Err(e) = inner.pc.add_ice_candidate(c).await {
                    log::warn!("buffered remote candidate rejected: {e}");
                }
            }
            Ok(to_description(&answer))
        })
        .await
    }

    /// Adds a candidate trickled by the lawyer; `None` (the browser's null
    /// candidate) marks the end of its gathering. Candidates that arrive
    /// while no answer to our latest offer has been applied are buffered.
    pub async fn add_remote_candidate(&self, candidate: Option<IceCandidate>) -> Result<()> {
        let Some(c) = candidate else {
            return Ok(());
        };
        if c.candidate.is_empty() {
            return Ok(()); // an empty candidate string also means "end of candidates"
        }
        let init = RTCIceCandidateInit {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_mline_index: c.sdp_mline_index,
            username_fragment: c.username_fragment,
            ..Default::default()
        };
        let inner = self.inner.clone();
        self.run(async move {
            let mut pending = inner.pending.lock().await;
            let waiting = inner.pc.remote_description().await.is_none()
                || inner.pc.pending_local_description().await.is_some();
            if waiting {
                if pending.len() < 200 {
                    pending.push(init);
                }
                return Ok(());
            }
            drop(pending);
            inner
                .pc
                .add_ice_candidate(init)
                .await
                .map_err(|e| CallError::Signaling(e.to_string()))
        })
        .await
    }

    /// The current local description (our latest offer), if any.
    pub async fn local_description(&self) -> Result<SessionDescription> {
        let inner = self.inner.clone();
        self.run(async move {
            inner
                .pc
                .local_description()
                .await
                .map(|d| to_description(&d))
                .ok_or_else(|| CallError::Signaling("no local description yet".into()))
        })
        .await
    }

    /// Asks the remote side for a keyframe (RTCP PLI), e.g. when the video
    /// view is (re)opened. No-op before the remote video track exists.
    pub async fn request_remote_keyframe(&self) -> Result<()> {
        let shared = self.inner.shared.clone();
        self.run(async move {
            let remote = shared
                .remote_video
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some((track, ssrc)) = remote {
                media::send_pli(track.as_ref(), ssrc).await;
            }
            Ok(())
        })
        .await
    }

    /// Asks the local encoder for a keyframe now.
    pub fn request_keyframe(&self) {
        self.inner
            .shared
            .force_keyframe
            .store(true, Ordering::Relaxed);
    }

    /// Call events, in order. The receiver can be cloned; each event goes to
    /// one receiver.
    pub fn events(&self) -> flume::Receiver<CallEvent> {
        self.events.clone()
    }

    /// Decoded remote pictures (the two most recent; older ones are dropped
    /// when nobody reads).
    pub fn video_frames(&self) -> flume::Receiver<VideoFrame> {
        self.video_frames.clone()
    }

    /// Decoded remote audio (up to one second is buffered).
    pub fn audio(&self) -> flume::Receiver<AudioChunk> {
        self.audio.clone()
    }

    /// Counters so far (RTT and quality as of the last stats interval).
    pub fn stats(&self) -> CallStats {
        self.inner.shared.counters.snapshot()
    }

    /// Threads of this call still running (media threads and runtime
    /// workers); zero after [`Call::hang_up`] has returned.
    pub fn live_threads(&self) -> usize {
        self.tracker.live()
    }

    /// Whether [`Call::hang_up`] has run.
    pub fn is_hung_up(&self) -> bool {
        lock(&self.rt).is_none()
    }

    /// Ends the call: closes the peer connection, stops and joins every
    /// media thread and shuts the runtime down. Blocks for at most a few
    /// seconds. Idempotent; also run on drop.
    pub fn hang_up(&self) {
        let Some(rt) = lock(&self.rt).take() else {
            return;
        };
        let shared = &self.inner.shared;
        shared.set_sending(false);
        shared.request_stop();
        let pc = self.inner.pc.clone();
        let closed = run_blocking(&self.handle, async move {
            match tokio::time::timeout(Duration::from_secs(3), pc.close()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log::debug!("close: {e}"),
                Err(_) => log::warn!("peer connection close timed out"),
            }
        });
        if closed.is_err() {
            log::warn!("peer connection close did not complete");
        }
        let threads: Vec<_> = lock(&self.threads).drain(..).collect();
        for h in threads {
            let _ = h.join();
        }
        shutdown_runtime(rt);
        shared.connected.store(false, Ordering::Relaxed);
        shared.emit(CallEvent::Closed);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.hang_up();
    }
}

fn lock<T>(m: &StdMutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Shuts a runtime down from a helper thread (dropping a runtime inside an
/// async context panics) and waits for it.
fn shutdown_runtime(rt: tokio::runtime::Runtime) {
    let h = std::thread::Builder::new()
        .name("kcall-stop".into())
        .spawn(move || rt.shutdown_timeout(Duration::from_secs(3)));
    match h {
        Ok(h) => {
            let _ = h.join();
        }
        Err(e) => log::error!("cannot spawn the runtime shutdown thread: {e}"),
    }
}

/// Runs `fut` on `handle` and waits for it on the current thread without
/// entering the runtime (works from any thread outside the call's runtime).
fn run_blocking<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = std_mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv_timeout(Duration::from_secs(20))
        .map_err(|e| CallError::Runtime(format!("runtime task: {e}")))
}

/// Minimal executor for awaiting the call's async methods from a plain
/// thread (e.g. the UI thread): `block_on(call.create_offer())`.
/// Do not use inside an async runtime.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = Pin::as_mut(&mut fut).poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

fn to_description(d: &RTCSessionDescription) -> SessionDescription {
    SessionDescription {
        kind: if d.sdp_type == RTCSdpType::Answer {
            SdpKind::Answer
        } else {
            SdpKind::Offer
        },
        sdp: d.sdp.clone(),
    }
}

type LocalTrack = Option<(
    Arc<TrackLocalStaticSample>,
    Arc<dyn webrtc::rtp_transceiver::RtpSender>,
)>;

fn vp8_codec() -> RTCRtpCodec {
    let fb = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![
            fb("goog-remb", ""),
            fb("ccm", "fir"),
            fb("nack", ""),
            fb("nack", "pli"),
        ],
    }
}

fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

async fn build_peer(
    config: CallConfig,
    shared: Arc<Shared>,
    inputs: DecoderInputs,
    has_video: bool,
    has_audio: bool,
) -> Result<(Arc<dyn PeerConnection>, LocalTrack, LocalTrack)> {
    let mut media_engine = MediaEngine::default();
    media_engine.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: vp8_codec(),
            payload_type: VP8_PAYLOAD_TYPE,
        },
        RtpCodecKind::Video,
    )?;
    media_engine.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: opus_codec(),
            payload_type: OPUS_PAYLOAD_TYPE,
        },
        RtpCodecKind::Audio,
    )?;
    let registry = register_default_interceptors(Registry::new(), &mut media_engine)?.with(
        rtc::interceptor::Slot::from(crate::keyframe::SLOT),
        crate::keyframe::KeyframeRequestForwarder::default(),
    );
    let ice_servers = config
        .ice_servers
        .iter()
        .map(|s| RTCIceServer {
            urls: s.urls.clone(),
            username: s.username.clone(),
            credential: s.credential.clone(),
        })
        .collect();
    let mut rtc_config = RTCConfigurationBuilder::new().with_ice_servers(ice_servers);
    if config.relay_only {
        rtc_config = rtc_config.with_ice_transport_policy(RTCIceTransportPolicy::Relay);
    }
    // mDNS off: in a loopback-only namespace the default mode fails the build
    // (ENODEV), and `.local` candidates are useless to the lawyer's browser.
    let setting_engine = SettingEngineBuilder::new()
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        // Connectivity checks every 25 ms instead of 200 ms while connecting:
        // the controlling agent nominates a pair only on its next check tick,
        // so the interval sat on every call's set-up (measured: ~270 ms of
        // ~460 ms from 接听 to connected on loopback). The number of checks
        // per pair is raised to match, so a pair is still given the default
        // 1.4 s before it counts as failed (slow and relayed paths).
        .with_ice_connection_attempts(Some(ICE_CHECK_INTERVAL), Some(ICE_MAX_BINDING_REQUESTS))
        // A peer-reflexive pair (the browser's checks arrive before its
        // trickled candidates) was only nominated after webrtc-rs' default
        // 1 s wait: calls connected after ~1.7 s instead of ~0.5 s. The
        // browser's own candidates arrive within milliseconds of its first
        // check, so there is nothing to wait for.
        .with_prflx_acceptance_min_wait(Some(Duration::ZERO))
        .build();
    let handler = Arc::new(Handler {
        shared: shared.clone(),
        inputs,
    });
    let runtime = webrtc::runtime::default_runtime()
        .ok_or_else(|| CallError::Runtime("no webrtc runtime".into()))?;
    let pc = PeerConnectionBuilder::new()
        .with_configuration(rtc_config.build())
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(setting_engine)
        .with_handler(handler)
        .with_runtime(runtime)
        .with_udp_addrs(config.udp_bind.clone())
        .build()
        .await?;
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);

    let add = |kind: RtpCodecKind, codec: RTCRtpCodec| {
        let pc = pc.clone();
        async move {
            let ssrc = rand_ssrc();
            let label = if kind == RtpCodecKind::Video {
                "video"
            } else {
                "audio"
            };
            let track = Arc::new(TrackLocalStaticSample::new(
                Instant::now(),
                MediaStreamTrack::new(
                    "kiosk".to_owned(),
                    format!("kiosk-{label}"),
                    format!("kiosk-{label}"),
                    kind,
                    vec![RTCRtpEncodingParameters {
                        rtp_coding_parameters: RTCRtpCodingParameters {
                            ssrc: Some(ssrc),
                            ..Default::default()
                        },
                        codec,
                        ..Default::default()
                    }],
                ),
            )?);
            let sender = pc.add_track(track.clone() as Arc<dyn TrackLocal>).await?;
            Ok::<_, CallError>((track, sender))
        }
    };
    // Audio first, then video: the m-line order browsers use.
    let audio_track = if has_audio {
        Some(add(RtpCodecKind::Audio, opus_codec()).await?)
    } else {
        recv_only(&pc, RtpCodecKind::Audio).await?;
        None
    };
    let video_track = if has_video {
        Some(add(RtpCodecKind::Video, vp8_codec()).await?)
    } else {
        recv_only(&pc, RtpCodecKind::Video).await?;
        None
    };
    Ok((pc, video_track, audio_track))
}

async fn recv_only(pc: &Arc<dyn PeerConnection>, kind: RtpCodecKind) -> Result<()> {
    pc.add_transceiver_from_kind(
        kind,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            ..Default::default()
        }),
    )
    .await?;
    Ok(())
}

fn rand_ssrc() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() as u32).max(1)
}

struct Handler {
    shared: Arc<Shared>,
    inputs: DecoderInputs,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => self
                .shared
                .emit(CallEvent::LocalCandidate(Some(IceCandidate {
                    candidate: init.candidate,
                    sdp_mid: init.sdp_mid,
                    sdp_mline_index: init.sdp_mline_index,
                    username_fragment: init.username_fragment,
                }))),
            Err(e) => log::warn!("local candidate not serialisable: {e}"),
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.shared.emit(CallEvent::LocalCandidate(None));
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        log::info!("peer connection state: {state}");
        let shared = &self.shared;
        match state {
            RTCPeerConnectionState::Connected => {
                shared.connected.store(true, Ordering::Relaxed);
                shared.mark_rx(); // start the stall clock now
                shared.force_keyframe.store(true, Ordering::Relaxed);
                shared.set_sending(true);
                shared.emit(CallEvent::Connected);
            }
            RTCPeerConnectionState::Disconnected => {
                shared.connected.store(false, Ordering::Relaxed);
                shared.emit(CallEvent::Disconnected);
            }
            RTCPeerConnectionState::Failed => {
                shared.connected.store(false, Ordering::Relaxed);
                shared.emit(CallEvent::Failed);
            }
            RTCPeerConnectionState::Closed => {
                shared.connected.store(false, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        // Must not block the driver: read the track in its own task.
        let shared = self.shared.clone();
        let inputs = self.inputs.clone();
        tokio::spawn(media::read_remote_track(shared, track, inputs));
    }
}

/// Periodic task: RTT from the ICE candidate pair, quality grade, stall
/// detection, and a [`CallEvent::Stats`].
async fn stats_task(inner: Arc<Inner>, interval: Duration, stall_timeout: Duration) {
    let shared = &inner.shared;
    let interval = interval.max(Duration::from_millis(100));
    let mut last = shared.counters.snapshot();
    let mut last_at = Instant::now();
    let mut stalled = false;
    loop {
        tokio::time::sleep(interval).await;
        if shared.stopped() {
            return;
        }
        let report = inner
            .pc
            .get_stats(Instant::now(), StatsSelector::None)
            .await;
        let rtt = report
            .candidate_pairs()
            .filter(|p| p.current_round_trip_time > 0.0)
            .max_by_key(|p| p.bytes_received + p.bytes_sent)
            .map(|p| p.current_round_trip_time);
        if let Some(rtt) = rtt {
            shared
                .counters
                .rtt_us
                .store((rtt * 1_000_000.0) as u64, Ordering::Relaxed);
        }
        let now = shared.counters.snapshot();
        let secs = last_at.elapsed().as_secs_f64().max(0.001);
        let received = (now.video_packets_received + now.audio_packets_received)
            .saturating_sub(last.video_packets_received + last.audio_packets_received);
        let lost = now.packets_lost.saturating_sub(last.packets_lost);
        let fps = now.frames_decoded.saturating_sub(last.frames_decoded) as f64 / secs;
        let connected = shared.connected.load(Ordering::Relaxed);
        let quality = if connected {
            Quality::estimate(received, lost, fps, now.rtt)
        } else {
            Quality::Unknown
        };
        shared
            .counters
            .quality
            .store(quality.to_u8(), Ordering::Relaxed);
        let since_rx = shared.epoch.elapsed().as_millis() as u64
            - shared
                .last_rx_ms
                .load(Ordering::Relaxed)
                .min(shared.epoch.elapsed().as_millis() as u64);
        if connected && Duration::from_millis(since_rx) > stall_timeout {
            if !stalled {
                stalled = true;
                shared.emit(CallEvent::MediaStalled);
            }
        } else if received > 0 {
            stalled = false;
        }
        last = now;
        last_at = Instant::now();
        let mut snapshot = shared.counters.snapshot();
        snapshot.quality = quality;
        shared.emit(CallEvent::Stats(snapshot));
    }
}
