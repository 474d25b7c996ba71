/**
 * app.js — the console's controller: signs in, keeps the hub connection
 * (`hub.js`), turns hub messages into page changes (`ui.js`), rings
 * (`ring.js`) and runs the call (`call.js`). It holds the console's state:
 * the pending offer, the current call, the call whose summary is being
 * written, the last queue snapshot.
 *
 * Flow: `GET /api/me` decides between the sign-in form and the console. In
 * the console the lawyer goes on duty (值班中); an `offer` rings with
 * 接听/拒绝 and a countdown; `call_started` creates the answering
 * `CallSession` and opens the summary form; the terminal's offer and
 * candidates arrive as `signal`; `ended` (or 挂断) closes the call and the
 * summary form stays until it is submitted (`submit_summary` →
 * `summary_stored`).
 *
 * For diagnostics and automated tests, `window.lawyerConsole` exposes the
 * current call's last `getStats()` reduction and timings (read-only use).
 */

import * as api from './api.js';
import { HubConnection } from './hub.js';
import { CallSession } from './call.js';
import { startRinging, stopRinging, unlock } from './ring.js';
import * as ui from './ui.js';
import { $ } from './ui.js';
import { END_REASONS, WITHDRAW_REASONS, errorText, topicName } from './text.js';

const hub = new HubConnection();
const state = {
  profile: null,
  lawyerState: 'away',
  offer: null, // {message, expiresAt, total, timer}
  call: null, // {id, session, startedAt, timer, info}
  queue: { entries: [], total_waiting: 0 },
  queueAt: performance.now(),
  lastAction: null, // what the last request was, to place its error
  acceptedAt: null, // performance.now() of the last 接听 click (for timings)
};

window.lawyerConsole = {
  /** The last hub message types, '←' received, '→' sent. */
  get recentMessages() {
    return hub.recent.slice();
  },
  get callId() {
    return state.call ? state.call.id : null;
  },
  get stats() {
    return state.call ? state.call.session.lastStats : null;
  },
  /** SDP answers sent in the current call (1 + ICE restarts). */
  get answersSent() {
    return state.call ? state.call.session.answersSent : 0;
  },
  /**
   * Milestones of the current call in `performance.now()` ms (add
   * `timeOrigin` for wall-clock ms since the epoch): 接听 clicked, the
   * terminal's offer received, the answer sent, connected, the first
   * remote frame presented (and its requestVideoFrameCallback metadata).
   */
  get timings() {
    const s = state.call && state.call.session;
    return s
      ? {
          timeOrigin: performance.timeOrigin,
          acceptedAt: state.call.acceptedAt,
          offerAt: s.offerAt,
          answerAt: s.answerAt,
          connectedAt: s.connectedAt,
          firstFrameAt: s.firstFrameAt,
          firstFrame: s.firstFrameMeta,
        }
      : null;
  },
  /** Fresh getStats() of the current call, reduced (see call.js). */
  async sampleStats() {
    if (!state.call) return null;
    await state.call.session.sampleStats();
    return state.call.session.lastStats;
  },
};

// ----- sign-in --------------------------------------------------------

async function boot() {
  const res = await api.me();
  if (res.ok && res.body) {
    enterConsole(res.body);
  } else {
    ui.showView('login');
    if (res.status === 0) ui.setLoginError('无法连接调度中心，请检查网络后刷新页面。');
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  unlock();
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (!username || !password) {
    ui.setLoginError('请输入用户名和密码。');
    return;
  }
  ui.setLoginError('');
  ui.setLoginBusy(true);
  const res = await api.login(username, password);
  ui.setLoginBusy(false);
  if (res.ok && res.body) {
    $('login-password').value = '';
    enterConsole(res.body);
  } else if (res.status === 401) {
    ui.setLoginError('用户名或密码错误，或账号已停用。');
  } else if (res.status === 0) {
    ui.setLoginError('无法连接调度中心，请检查网络后重试。');
  } else {
    ui.setLoginError(`登录失败（服务器错误 ${res.status}），请稍后重试。`);
  }
});

function enterConsole(profile) {
  state.profile = profile;
  ui.showProfile(profile);
  ui.showSkills(profile.skills || []);
  ui.showLawyerState('away');
  ui.showView('console');
  hub.start();
}

$('btn-logout').addEventListener('click', async () => {
  if (state.call && !confirm('正在通话中，确定要挂断并退出登录吗？')) return;
  if (state.call) hub.send('hang_up', { call_id: state.call.id });
  closeCall();
  dropOffer();
  hub.stop();
  await api.logout();
  ui.hideSummary();
  ui.hideBanner();
  ui.showView('login');
});

function sessionExpired() {
  closeCall();
  dropOffer();
  hub.stop();
  ui.hideBanner();
  ui.showView('login');
  ui.setLoginError('登录已过期，请重新登录。');
}

// ----- hub connection -------------------------------------------------

hub.addEventListener('status', ({ detail }) => {
  ui.setHubState(detail.state);
  if (detail.state === 'open') {
    if ($('banner').dataset.kind === 'connection') ui.hideBanner();
  } else if (detail.state === 'unreachable') {
    ui.showBanner(
      `无法连接调度中心，${detail.retryInSecs} 秒后自动重试。${state.call ? '通话画面可能仍在继续。' : ''}`,
      'connection',
      { label: '立即重试', onClick: () => hub.reconnectNow() },
    );
  } else if (detail.state === 'connecting' && hub.openedOnce && detail.retryInSecs) {
    ui.showBanner(`与调度中心的连接已断开，${detail.retryInSecs} 秒后重新连接…`, 'connection');
  }
});

hub.addEventListener('expired', sessionExpired);

hub.addEventListener('replaced', () => {
  closeCall();
  dropOffer();
  ui.showLawyerState('away');
  ui.showBanner(errorText('replaced'), 'error', {
    label: '在此页面继续使用',
    onClick: () => {
      ui.hideBanner();
      hub.reconnectNow();
    },
  });
});

hub.addEventListener('welcome', ({ detail }) => {
  state.profile = detail.lawyer;
  ui.showProfile(detail.lawyer);
  ui.showSkills(detail.lawyer.skills || []);
  setLawyerState(detail.state);
  // A call the hub no longer has ended while we were disconnected.
  if (state.call && detail.state !== 'busy') {
    endCall(state.call.id, 'lawyer_lost');
  }
});

hub.addEventListener('state', ({ detail }) => setLawyerState(detail.state));

function setLawyerState(s) {
  state.lawyerState = s;
  ui.showLawyerState(s);
  if (s !== 'ringing' && state.offer) dropOffer();
}

hub.addEventListener('queue', ({ detail }) => {
  state.queue = detail;
  state.queueAt = performance.now();
  ui.showQueue(state.queue, state.queueAt);
});
setInterval(() => {
  if (document.body.dataset.view === 'console') ui.showQueue(state.queue, state.queueAt);
}, 1000);

/**
 * Keeps the queue view right between snapshots: the hub does not always
 * push a new `queue` when a call is accepted or ends, so our own call's
 * entry is updated (or removed) locally.
 */
function patchQueue(callId, status) {
  const entries = state.queue.entries
    .map((e) => {
      if (e.call_id !== callId || !status) return e;
      return status === 'waiting' ? { ...e, status, resident: undefined } : { ...e, status };
    })
    .filter((e) => e.call_id !== callId || status);
  state.queue = { ...state.queue, entries };
  ui.showQueue(state.queue, state.queueAt);
}

hub.addEventListener('messages', ({ detail }) => {
  ui.showMessages(detail.messages || [], (id) => {
    state.lastAction = 'mark_handled';
    hub.send('mark_handled', { id });
  });
});

hub.addEventListener('error', ({ detail }) => {
  const code = detail.code;
  if (code === 'replaced' || code === 'unauthenticated') return; // handled on close
  console.warn('hub error', code, detail.message);
  if (code === 'unknown_call' && state.lastAction !== 'submit_summary') return;
  if (state.lastAction === 'submit_summary') {
    ui.setSummaryBusy(false);
    ui.setSummaryStatus(
      code === 'unknown_call' ? '无法保存：该通话不是由您接听的。' : `小结未能保存：${errorText(code)}`,
    );
  } else if (state.lastAction === 'set_skills') {
    ui.setSkillsStatus(`未能保存：${errorText(code)}`);
  } else if (state.lastAction === 'accept' && state.offer) {
    dropOffer();
    ui.showBanner('该来电已无法接听（可能已超时或被取消）。', 'error', null, true);
  } else {
    ui.showBanner(errorText(code), 'error', null, true);
  }
});

// ----- availability and skills ------------------------------------------

$('btn-available').addEventListener('click', () => {
  unlock();
  state.lastAction = 'set_state';
  hub.send('set_state', { state: 'available' });
});

$('btn-away').addEventListener('click', () => {
  state.lastAction = 'set_state';
  hub.send('set_state', { state: 'away' });
});

$('skills-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.lastAction = 'set_skills';
  const topics = ui.selectedSkills();
  if (hub.send('set_skills', { topics })) {
    ui.setSkillsStatus(topics.length ? '已保存。' : '已保存（未选择任何领域，将不会收到来电）。');
  } else {
    ui.setSkillsStatus('未连接调度中心，恢复连接后将自动保存。');
  }
});

// ----- offers -----------------------------------------------------------

hub.addEventListener('offer', ({ detail }) => {
  dropOffer();
  const total = detail.expires_in_secs;
  const offer = { message: detail, total, expiresAt: performance.now() + total * 1000, timer: null };
  state.offer = offer;
  ui.showOffer(detail);
  const tick = () => ui.showOfferExpiry((offer.expiresAt - performance.now()) / 1000, total);
  tick();
  offer.timer = setInterval(tick, 250);
  startRinging();
  document.title = '【来电】律师值班台';
});

hub.addEventListener('offer_withdrawn', ({ detail }) => {
  patchQueue(detail.call_id, detail.reason === 'declined' ? 'waiting' : null);
  if (!state.offer || state.offer.message.call_id !== detail.call_id) return;
  dropOffer();
  if (detail.reason !== 'declined') {
    ui.showBanner(WITHDRAW_REASONS[detail.reason] || '来电已撤回。', 'info', null, true);
  }
});

function dropOffer() {
  stopRinging();
  if (state.offer) clearInterval(state.offer.timer);
  state.offer = null;
  ui.hideOffer();
  document.title = '律师值班台 · 公共法律服务';
}

$('btn-accept').addEventListener('click', () => {
  if (!state.offer) return;
  unlock();
  stopRinging();
  ui.setOfferBusy();
  state.acceptedAt = performance.now();
  state.lastAction = 'accept';
  hub.send('accept', { call_id: state.offer.message.call_id });
});

$('btn-decline').addEventListener('click', () => {
  if (!state.offer) return;
  state.lastAction = 'decline';
  hub.send('decline', { call_id: state.offer.message.call_id });
  dropOffer();
});

// ----- the call ---------------------------------------------------------

hub.addEventListener('call_started', ({ detail }) => {
  dropOffer();
  patchQueue(detail.call_id, 'busy');
  if (state.call && state.call.id === detail.call_id) return; // resumed after a reconnect
  if (state.call) closeCall();
  const callId = detail.call_id;
  const session = new CallSession(
    callId,
    detail.ice_servers,
    (payload) => hub.send('signal', { call_id: callId, payload }),
    { remoteVideo: $('remote-video'), remoteAudio: $('remote-audio'), localVideo: $('local-video') },
  );
  const call = {
    id: callId,
    session,
    startedAt: performance.now(),
    acceptedAt: state.acceptedAt ?? null,
    timer: null,
    info: detail,
    connected: false,
  };
  state.acceptedAt = null;
  state.call = call;
  ui.showCall(detail);
  ui.showSummary(callId, `本次咨询：${detail.resident.name} · ${topicName(detail.topic)} · ${detail.office}`);
  call.timer = setInterval(() => ui.setCallTimer((performance.now() - call.startedAt) / 1000), 500);

  session.addEventListener('state', ({ detail: s }) => {
    if (state.call !== call) return;
    if (s.connection === 'connected') {
      call.connected = true;
      ui.setCallPhase('connected', '');
    } else if (s.connection === 'disconnected') {
      ui.setCallPhase('reconnecting', '网络不稳定，正在恢复连接…');
    } else if (s.connection === 'failed') {
      ui.setCallPhase('reconnecting', '音视频连接中断，正在等待终端重新连接…');
      ui.setQuality('none');
    } else if (s.connection === 'connecting' && !call.connected) {
      ui.setCallPhase('connecting', '正在建立音视频连接…');
    }
  });
  session.addEventListener('quality', ({ detail: q }) => {
    if (state.call === call && call.connected) ui.setQuality(q.grade);
  });
  session.addEventListener('error', ({ detail: e }) => {
    if (state.call === call) ui.showBanner(e.message, 'error', null, true);
  });
  session.prepareMedia().then(() => ui.setCameraOff(false, session.hasCamera));
});

hub.addEventListener('signal', ({ detail }) => {
  if (state.call && state.call.id === detail.call_id) state.call.session.handleSignal(detail.payload);
});

hub.addEventListener('ended', ({ detail }) => {
  patchQueue(detail.call_id, null);
  if (state.offer && state.offer.message.call_id === detail.call_id) dropOffer();
  if (state.call && state.call.id === detail.call_id) endCall(detail.call_id, detail.reason);
});

function endCall(callId, reason) {
  closeCall();
  const text = END_REASONS[reason] || '通话已结束';
  ui.showBanner(`${text}。请填写并提交咨询小结。`.replace('。。', '。'), 'info', null, true);
  if ($('summary-card').dataset.callId === callId && $('summary-card').dataset.stored !== 'true') {
    ui.setSummaryStatus('通话已结束，请填写小结后提交，小结将发送到群众的终端。');
  }
}

/** Closes the local side of the current call (no message to the hub). */
function closeCall() {
  const call = state.call;
  if (!call) return;
  state.call = null;
  clearInterval(call.timer);
  call.session.close();
  ui.hideCall();
}

$('btn-mute').addEventListener('click', () => {
  if (!state.call) return;
  const s = state.call.session;
  s.setMuted(!s.muted);
  ui.setMuted(s.muted);
});

$('btn-camera').addEventListener('click', () => {
  if (!state.call) return;
  const s = state.call.session;
  s.setCameraOff(!s.cameraOff);
  ui.setCameraOff(s.cameraOff, s.hasCamera);
});

$('btn-hangup').addEventListener('click', () => {
  if (!state.call) return;
  const id = state.call.id;
  state.lastAction = 'hang_up';
  hub.send('hang_up', { call_id: id });
  patchQueue(id, null);
  endCall(id, 'hung_up_by_lawyer');
});

// ----- summary ----------------------------------------------------------

$('summary-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const callId = $('summary-card').dataset.callId;
  if (!callId) return;
  const { text, advice } = ui.summaryValues();
  if (!text) {
    ui.setSummaryStatus('请先填写小结。');
    $('summary-text').focus();
    return;
  }
  state.lastAction = 'submit_summary';
  ui.setSummaryBusy(true);
  ui.setSummaryStatus('正在保存…');
  if (!hub.send('submit_summary', { call_id: callId, text, advice })) {
    ui.setSummaryStatus('未连接调度中心，恢复连接后将自动提交。');
  }
});

hub.addEventListener('summary_stored', ({ detail }) => {
  if ($('summary-card').dataset.callId !== detail.call_id) return;
  ui.setSummaryBusy(false);
  ui.setSummaryStatus('小结已保存，并已发送到群众的终端。如需修改，可再次提交。', true);
});

window.addEventListener('beforeunload', (event) => {
  if (state.call) {
    event.preventDefault();
    event.returnValue = '';
  }
});

boot();
