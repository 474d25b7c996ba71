/**
 * call.js — the browser side of one video consultation: an
 * RTCPeerConnection that always ANSWERS (the terminal is the offerer).
 *
 * `CallSession(callId, iceServers, sendSignal)`:
 * - `prepareMedia()` asks for camera and microphone once (falls back to
 *   microphone only, then to receive-only) so the tracks are ready when
 *   the terminal's offer arrives;
 * - `handleSignal(payload)` takes the hub's `signal.payload`
 *   (`{type:'sdp',kind,sdp}`, `{type:'candidate',candidate,sdp_mid,
 *   sdp_mline_index}`, `{type:'end_of_candidates'}`). Signals are handled
 *   strictly in order on one promise chain. Every offer — the first and any
 *   ICE-restart offer — is answered; candidates that arrive before the
 *   remote description are buffered and added after it;
 * - local candidates are trickled through `sendSignal(payload)`, the end of
 *   gathering as `end_of_candidates`;
 * - the remote stream goes to a (muted) video element and to an audio
 *   element that is played, so the resident is heard (and Chromium counts
 *   the received samples);
 * - `setMuted`, `setCameraOff`, `close()`;
 * - every 2 s `getStats()` is reduced to a quality grade
 *   (`good`/`fair`/`poor`/`none`) from the round-trip time, packet loss and
 *   frame rate; `lastStats` keeps the figures (also read by tests).
 *
 * Events (DOM events on the session): `state` ({connection}), `quality`
 * ({grade, stats}), `media` ({kind:'video'|'audio'}) on the first remote
 * track of each kind, `error` ({message}).
 */

const STATS_INTERVAL_MS = 2000;

export class CallSession extends EventTarget {
  constructor(callId, iceServers, sendSignal, elements) {
    super();
    this.callId = callId;
    this.sendSignal = sendSignal;
    this.elements = elements; // {remoteVideo, remoteAudio, localVideo}
    this.localStream = null;
    this.mediaReady = null;
    this.chain = Promise.resolve();
    this.buffered = [];
    this.closed = false;
    this.muted = false;
    this.cameraOff = false;
    this.lastStats = null;
    this.previous = null;
    this.connectedAt = null;
    this.offerAt = null;
    this.answerAt = null;
    this.firstFrameAt = null;
    /** requestVideoFrameCallback metadata of the first remote frame. */
    this.firstFrameMeta = null;
    /** Answers sent: 1 after the first offer, +1 per ICE restart. */
    this.answersSent = 0;
    this.remoteStream = new MediaStream();

    this.pc = new RTCPeerConnection({ iceServers: normalizeIceServers(iceServers) });
    this.pc.onicecandidate = (e) => {
      if (this.closed) return;
      if (e.candidate && e.candidate.candidate) {
        this.sendSignal({
          type: 'candidate',
          candidate: e.candidate.candidate,
          sdp_mid: e.candidate.sdpMid ?? undefined,
          sdp_mline_index: e.candidate.sdpMLineIndex ?? undefined,
        });
      } else if (!e.candidate) {
        this.sendSignal({ type: 'end_of_candidates' });
      }
    };
    this.pc.ontrack = (e) => this.onTrack(e);
    this.pc.onconnectionstatechange = () => {
      const connection = this.pc.connectionState;
      if (connection === 'connected' && !this.connectedAt) this.connectedAt = performance.now();
      this.emit('state', { connection });
    };
    this.statsTimer = setInterval(() => this.sampleStats(), STATS_INTERVAL_MS);
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /** Camera + microphone, else microphone only, else nothing. */
  prepareMedia() {
    if (!this.mediaReady) {
      this.mediaReady = (async () => {
        const attempts = [
          { video: { width: 640, height: 480 }, audio: true },
          { audio: true },
        ];
        for (const constraints of attempts) {
          try {
            this.localStream = await navigator.mediaDevices.getUserMedia(constraints);
            break;
          } catch (_) {
            /* try the next */
          }
        }
        if (this.closed) {
          this.stopLocal();
          return;
        }
        if (!this.localStream) {
          this.emit('error', { message: '无法使用摄像头和麦克风，群众将看不到也听不到您。请检查设备和浏览器权限。' });
          return;
        }
        if (!this.localStream.getVideoTracks().length) {
          this.emit('error', { message: '未找到可用的摄像头，本次通话仅有声音。' });
        }
        this.elements.localVideo.srcObject = this.localStream;
        this.elements.localVideo.play().catch(() => {});
        this.applyTrackSwitches();
      })();
    }
    return this.mediaReady;
  }

  /** One hub `signal.payload`, handled after those before it. */
  handleSignal(payload) {
    this.chain = this.chain
      .then(() => this.applySignal(payload))
      .catch((err) => {
        console.warn('signal failed', payload && payload.type, err);
        this.emit('error', { message: '建立音视频连接时出错，正在等待终端重试。' });
      });
    return this.chain;
  }

  async applySignal(payload) {
    if (this.closed || !payload) return;
    if (payload.type === 'sdp') {
      if (payload.kind !== 'offer') return; // the console only answers
      if (!this.offerAt) this.offerAt = performance.now();
      await this.prepareMedia();
      await this.pc.setRemoteDescription({ type: 'offer', sdp: payload.sdp });
      this.attachLocalTracks();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      this.sendSignal({ type: 'sdp', kind: 'answer', sdp: this.pc.localDescription.sdp });
      if (!this.answerAt) this.answerAt = performance.now();
      this.answersSent += 1;
      const early = this.buffered;
      this.buffered = [];
      for (const c of early) await this.addCandidate(c);
    } else if (payload.type === 'candidate' || payload.type === 'end_of_candidates') {
      if (!this.pc.remoteDescription) {
        this.buffered.push(payload);
      } else {
        await this.addCandidate(payload);
      }
    }
  }

  async addCandidate(payload) {
    try {
      if (payload.type === 'end_of_candidates') {
        await this.pc.addIceCandidate();
      } else {
        await this.pc.addIceCandidate({
          candidate: payload.candidate,
          sdpMid: payload.sdp_mid ?? null,
          sdpMLineIndex: payload.sdp_mline_index ?? null,
        });
      }
    } catch (err) {
      // A candidate of an older ICE generation after a restart, or one the
      // browser cannot parse: not fatal.
      console.warn('candidate refused', err);
    }
  }

  /**
   * Puts our tracks on the transceivers the offer created (once; after an
   * ICE-restart offer they are already there). `addTrack` after
   * `setRemoteDescription` reuses the offered transceiver of the same kind
   * and makes it send-receive.
   */
  attachLocalTracks() {
    if (!this.localStream) return;
    for (const track of this.localStream.getTracks()) {
      if (this.pc.getSenders().some((s) => s.track === track)) continue;
      this.pc.addTrack(track, this.localStream);
    }
  }

  onTrack(event) {
    const track = event.track;
    if (!this.remoteStream.getTracks().includes(track)) this.remoteStream.addTrack(track);
    const { remoteVideo, remoteAudio } = this.elements;
    if (track.kind === 'video') {
      remoteVideo.srcObject = this.remoteStream;
      remoteVideo.play().catch(() => {});
      if (remoteVideo.requestVideoFrameCallback) {
        remoteVideo.requestVideoFrameCallback((_now, meta) => {
          if (this.firstFrameAt) return;
          this.firstFrameAt = performance.now();
          // receiveTime: last packet of the frame received; processingDuration:
          // its decode, in seconds (both WebRTC-only fields).
          this.firstFrameMeta = {
            presentationTime: meta.presentationTime,
            receiveTime: meta.receiveTime ?? null,
            processingDuration: meta.processingDuration ?? null,
          };
        });
      }
    } else {
      remoteAudio.srcObject = this.remoteStream;
      remoteAudio.play().catch(() => {
        this.emit('error', { message: '浏览器阻止了自动播放声音，请点击页面任意位置以听到群众的声音。' });
        const resume = () => {
          remoteAudio.play().catch(() => {});
          document.removeEventListener('click', resume);
        };
        document.addEventListener('click', resume);
      });
    }
    this.emit('media', { kind: track.kind });
  }

  setMuted(muted) {
    this.muted = muted;
    this.applyTrackSwitches();
  }

  setCameraOff(off) {
    this.cameraOff = off;
    this.applyTrackSwitches();
  }

  applyTrackSwitches() {
    if (!this.localStream) return;
    for (const t of this.localStream.getAudioTracks()) t.enabled = !this.muted;
    for (const t of this.localStream.getVideoTracks()) t.enabled = !this.cameraOff;
  }

  get hasCamera() {
    return !!this.localStream && this.localStream.getVideoTracks().length > 0;
  }

  /** Reads getStats() and grades the last interval. */
  async sampleStats() {
    if (this.closed) return;
    let report;
    try {
      report = await this.pc.getStats();
    } catch (_) {
      return;
    }
    const s = {
      at: performance.now(),
      video: null,
      audio: null,
      rttMs: null,
      dtlsCipher: null,
      srtpCipher: null,
      connection: this.pc.connectionState,
    };
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        s.video = {
          framesDecoded: r.framesDecoded || 0,
          frameWidth: r.frameWidth || 0,
          frameHeight: r.frameHeight || 0,
          framesPerSecond: r.framesPerSecond || 0,
          packetsReceived: r.packetsReceived || 0,
          packetsLost: r.packetsLost || 0,
          freezeCount: r.freezeCount || 0,
        };
      } else if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        s.audio = {
          totalSamplesReceived: r.totalSamplesReceived || 0,
          concealedSamples: r.concealedSamples || 0,
          audioLevel: r.audioLevel || 0,
          packetsReceived: r.packetsReceived || 0,
          packetsLost: r.packetsLost || 0,
        };
      } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
        if (typeof r.currentRoundTripTime === 'number') s.rttMs = r.currentRoundTripTime * 1000;
      } else if (r.type === 'transport') {
        s.dtlsCipher = r.dtlsCipher || null;
        s.srtpCipher = r.srtpCipher || null;
      }
    });
    const grade = gradeQuality(s, this.previous);
    s.grade = grade;
    this.previous = s;
    this.lastStats = s;
    this.emit('quality', { grade, stats: s });
  }

  stopLocal() {
    if (this.localStream) for (const t of this.localStream.getTracks()) t.stop();
  }

  /** Ends everything local: peer connection, camera, microphone, timers. */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    try {
      this.pc.close();
    } catch (_) {
      /* already closed */
    }
    this.stopLocal();
    const { remoteVideo, remoteAudio, localVideo } = this.elements;
    for (const el of [remoteVideo, remoteAudio, localVideo]) el.srcObject = null;
  }
}

/** Good / fair / poor / none from RTT, loss and frame rate of the interval. */
export function gradeQuality(now, before) {
  if (now.connection !== 'connected') return 'none';
  const received = (x) => (x ? x.packetsReceived : 0);
  const lost = (x) => (x ? x.packetsLost : 0);
  const packets =
    received(now.video) + received(now.audio) - (before ? received(before.video) + received(before.audio) : 0);
  if (before && packets <= 0) return 'none';
  const lossDelta =
    lost(now.video) + lost(now.audio) - (before ? lost(before.video) + lost(before.audio) : 0);
  const loss = packets > 0 ? Math.max(0, lossDelta) / (packets + Math.max(0, lossDelta)) : 0;
  const rtt = now.rttMs ?? 0;
  const fps = now.video ? now.video.framesPerSecond : 30;
  if (loss > 0.08 || rtt > 600 || (now.video && fps > 0 && fps < 8)) return 'poor';
  if (loss > 0.02 || rtt > 250 || (now.video && fps > 0 && fps < 18)) return 'fair';
  return 'good';
}

/** The hub's `IceServer` (`urls`, optional `username`, `credential`). */
function normalizeIceServers(list) {
  return (list || []).map((s) => {
    const server = { urls: s.urls };
    if (s.username) server.username = s.username;
    if (s.credential) server.credential = s.credential;
    return server;
  });
}
