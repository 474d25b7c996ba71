/**
 * ui.js — everything that touches the page's DOM, and nothing else: no
 * sockets, no WebRTC. The controller (`app.js`) calls these functions with
 * plain data. Text comes from `text.js`; user-provided strings are always
 * set with `textContent`, never as HTML.
 *
 * The `<body>` carries the console's state in data attributes
 * (`data-view`, `data-hub`, `data-lawyer-state`, `data-call`), for the
 * stylesheet and for automated tests; key elements have `data-testid`s.
 */

import {
  LAWYER_STATES, QUALITY, TOPICS, clock, dateTime, duration, topicName,
} from './text.js';

export const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

/** 'loading' | 'login' | 'console' */
export function showView(view) {
  document.body.dataset.view = view;
  $('login-view').hidden = view !== 'login';
  $('console-view').hidden = view !== 'console';
  $('who').hidden = view !== 'console';
  if (view === 'login') $('login-username').focus();
}

export function setLoginError(text) {
  $('login-error').textContent = text || '';
}

export function setLoginBusy(busy) {
  $('login-submit').disabled = busy;
  $('login-submit').textContent = busy ? '正在登录…' : '登录';
}

/** A message at the top; `action` = {label, onClick} adds a button. */
export function showBanner(text, kind = 'info', action = null, closable = false) {
  const banner = $('banner');
  banner.hidden = false;
  banner.dataset.kind = kind;
  banner.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  $('banner-text').textContent = text;
  const button = $('banner-action');
  button.hidden = !action;
  button.onclick = null;
  if (action) {
    button.textContent = action.label;
    button.onclick = action.onClick;
  }
  const close = $('banner-close');
  close.hidden = !closable;
  close.onclick = () => hideBanner();
}

export function hideBanner() {
  $('banner').hidden = true;
}

export function setHubState(state) {
  document.body.dataset.hub = state;
}

export function showProfile(profile) {
  $('lawyer-name').textContent = profile.display_name || profile.username;
}

export function showLawyerState(state) {
  document.body.dataset.lawyerState = state;
  $('state-label').textContent = LAWYER_STATES[state] || state;
  $('state-label').dataset.state = state;
  const onDuty = state !== 'away';
  $('btn-available').setAttribute('aria-pressed', String(onDuty));
  $('btn-away').setAttribute('aria-pressed', String(!onDuty));
  const locked = state === 'busy' || state === 'ringing';
  $('btn-available').disabled = locked;
  $('btn-away').disabled = locked;
  $('idle-text').textContent = state === 'available'
    ? '值班中，等待群众来电…'
    : '当前没有通话。将状态设为“值班中”即可接听群众来电。';
}

/** Checkboxes of all known topics plus any unknown keys the account has. */
export function showSkills(skills) {
  const list = $('skills-list');
  list.replaceChildren();
  const keys = [...Object.keys(TOPICS), ...skills.filter((k) => !(k in TOPICS))];
  for (const key of keys) {
    const id = `skill-${key}`;
    const box = el('input', { type: 'checkbox', id, value: key, checked: skills.includes(key), 'data-testid': id });
    list.append(el('label', { class: 'skill', htmlFor: id }, [box, ` ${topicName(key)}`]));
  }
}

export function selectedSkills() {
  return [...$('skills-list').querySelectorAll('input:checked')].map((i) => i.value);
}

export function setSkillsStatus(text) {
  $('skills-status').textContent = text;
}

const QUEUE_STATUS = { waiting: '等待中', ringing: '正在呼叫您', busy: '与您通话中' };

/** The queue table; waiting times count on from `receivedAt`. */
export function showQueue(queue, receivedAt) {
  const body = $('queue-body');
  body.replaceChildren();
  const elapsed = (performance.now() - receivedAt) / 1000;
  for (const entry of queue.entries) {
    const resident = entry.resident
      ? el('div', { class: 'resident', text: `${entry.resident.name}${entry.resident.masked_id ? `（${entry.resident.masked_id}）` : ''}` })
      : '';
    const row = el('tr', { 'data-call-id': entry.call_id, class: entry.matches_skills ? 'match' : 'other' }, [
      el('td', {}, [topicName(entry.topic), resident]),
      el('td', { text: entry.office }),
      el('td', { text: duration(entry.waiting_secs + elapsed) }),
      el('td', { text: QUEUE_STATUS[entry.status] || entry.status }),
    ]);
    body.append(row);
  }
  $('queue-count').textContent = String(queue.total_waiting);
  $('queue-empty').hidden = queue.entries.length > 0;
}

export function showMessages(messages, onHandled) {
  const list = $('messages-list');
  list.replaceChildren();
  for (const m of messages) {
    const button = el('button', {
      type: 'button', text: '标记已处理', 'data-testid': `message-handled-${m.id}`,
      'aria-label': `将${m.name}的留言标记为已处理`,
    });
    button.onclick = () => {
      button.disabled = true;
      onHandled(m.id);
    };
    list.append(el('li', { 'data-message-id': String(m.id) }, [
      el('div', { class: 'msg-head' }, [
        el('strong', { text: m.name }), ' · ', topicName(m.topic), ' · ', m.office,
      ]),
      el('div', { class: 'msg-meta' }, [`回电号码：${m.callback_phone}　留言时间：${dateTime(m.created_at)}`]),
      el('p', { class: 'msg-text', text: m.text }),
      button,
    ]));
  }
  $('messages-count').textContent = String(messages.length);
  $('messages-empty').hidden = messages.length > 0;
}

function residentLine(resident) {
  if (!resident) return '';
  return `${resident.name}${resident.masked_id ? `（${resident.masked_id}）` : ''}`;
}

export function showOffer(offer) {
  $('offer-topic').textContent = topicName(offer.topic);
  $('offer-office').textContent = offer.office;
  $('offer-name').textContent = offer.resident.name;
  $('offer-id').textContent = offer.resident.masked_id || '未提供';
  $('offer-phone').textContent = offer.resident.callback_phone || '未提供';
  $('offer-waited').textContent = duration(offer.waited_secs);
  $('btn-accept').disabled = false;
  $('btn-decline').disabled = false;
  $('offer-card').hidden = false;
  document.body.dataset.call = 'offered';
  $('btn-accept').focus();
  updateIdle();
}

export function showOfferExpiry(leftSecs, totalSecs) {
  $('offer-expiry').textContent = `请在 ${Math.max(0, Math.ceil(leftSecs))} 秒内接听`;
  $('offer-progress').value = totalSecs > 0 ? Math.max(0, (leftSecs / totalSecs) * 100) : 0;
}

export function setOfferBusy() {
  $('btn-accept').disabled = true;
  $('btn-decline').disabled = true;
}

export function hideOffer() {
  $('offer-card').hidden = true;
  if (document.body.dataset.call === 'offered') document.body.dataset.call = 'idle';
  updateIdle();
}

export function showCall(started) {
  $('call-resident').textContent = `${residentLine(started.resident)} · ${topicName(started.topic)} · ${started.office}`;
  $('call-timer').textContent = clock(0);
  $('call-status').textContent = '正在等待终端建立音视频连接…';
  setQuality('connecting');
  setMuted(false);
  setCameraOff(false);
  $('btn-hangup').disabled = false;
  $('call-card').hidden = false;
  document.body.dataset.call = 'connecting';
  updateIdle();
}

export function setCallPhase(phase, statusText) {
  document.body.dataset.call = phase;
  $('call-status').textContent = statusText || '';
}

export function setCallTimer(secs) {
  $('call-timer').textContent = clock(secs);
}

export function setQuality(grade) {
  $('call-quality').dataset.grade = grade;
  $('call-quality-text').textContent = QUALITY[grade] || grade;
}

export function setMuted(muted) {
  $('btn-mute').setAttribute('aria-pressed', String(muted));
  $('btn-mute').textContent = muted ? '取消静音' : '静音';
}

export function setCameraOff(off, available = true) {
  $('btn-camera').setAttribute('aria-pressed', String(off));
  $('btn-camera').textContent = off ? '打开摄像头' : '关闭摄像头';
  $('btn-camera').disabled = !available;
}

export function hideCall() {
  $('call-card').hidden = true;
  // The next call may already be ringing (the hub offers it the moment this
  // one ends, sometimes before this call's "ended" arrives): keep it shown.
  document.body.dataset.call = $('offer-card').hidden ? 'idle' : 'offered';
  updateIdle();
}

/** The summary form for a call (kept open after the call until sent). */
export function showSummary(callId, label, keepText) {
  const form = $('summary-card');
  if (form.dataset.callId !== callId && !keepText) {
    $('summary-text').value = '';
    $('summary-advice').value = '';
    $('summary-status').textContent = '';
  }
  form.dataset.callId = callId;
  $('summary-for').textContent = label;
  $('summary-submit').disabled = false;
  form.hidden = false;
  updateIdle();
}

export function summaryValues() {
  return { text: $('summary-text').value.trim(), advice: $('summary-advice').value.trim() };
}

export function setSummaryStatus(text, stored = false) {
  $('summary-status').textContent = text;
  $('summary-card').dataset.stored = String(stored);
}

export function setSummaryBusy(busy) {
  $('summary-submit').disabled = busy;
}

export function hideSummary() {
  $('summary-card').hidden = true;
  delete $('summary-card').dataset.callId;
  updateIdle();
}

function updateIdle() {
  $('idle-card').hidden = !$('offer-card').hidden || !$('call-card').hidden || !$('summary-card').hidden;
}
