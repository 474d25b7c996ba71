/**
 * hub.js — the lawyer console's WebSocket to the dispatch hub
 * (`/ws/lawyer`) and the message protocol (`LawyerToHub` / `HubToLawyer`
 * in the `hub-protocol` crate).
 *
 * `HubConnection` keeps one socket open:
 * - every message sent gets the envelope `{type, seq, ...}`, `seq` counted
 *   from 1 on each connection;
 * - a `heartbeat` goes out every `welcome.heartbeat_secs`;
 * - a dropped socket reconnects with exponential back-off (1 s doubling to
 *   30 s, with jitter). Before reconnecting after a failure it asks
 *   `GET /api/me`: a 401 means the session expired (no more retries,
 *   event `expired`), no answer means the hub is unreachable (event
 *   `status` with `unreachable` and the delay);
 * - `error{replaced}` (another console took over this account) stops
 *   reconnecting (event `replaced`); `reconnectNow()` takes over again;
 * - messages sent while the socket is down are kept (at most 200) and sent
 *   after the reconnect — the hub keeps an accepted call across a short
 *   drop, so late signaling is still useful.
 *
 * Every hub message is dispatched as a DOM event named after its `type`
 * (`welcome`, `queue`, `offer`, `signal`, ...) with the message as
 * `event.detail`; connection changes as `status` with
 * `{state: 'connecting'|'open'|'unreachable'|'closed', retryInSecs}`.
 */

import { me } from './api.js';

const MAX_PENDING = 200;
const MAX_BACKOFF_MS = 30000;

export class HubConnection extends EventTarget {
  constructor(path = '/ws/lawyer') {
    super();
    this.url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
    this.ws = null;
    this.seq = 0;
    this.pending = [];
    this.attempt = 0;
    this.heartbeatTimer = null;
    this.retryTimer = null;
    this.stopped = true;
    this.openedOnce = false;
    /** Types of the last 50 messages each way, for diagnostics. */
    this.recent = [];
  }

  note(direction, type) {
    this.recent.push(`${direction}${type}`);
    if (this.recent.length > 50) this.recent.shift();
  }

  /** Opens the socket (and keeps it open until `stop()`). */
  start() {
    this.stopped = false;
    this.connect();
  }

  /** Closes for good (sign-out, session expired, replaced). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close(1000);
    }
    this.pending = [];
  }

  /** Reconnects at once (after `replaced`, or the lawyer's "retry now"). */
  reconnectNow() {
    clearTimeout(this.retryTimer);
    this.stopped = false;
    this.attempt = 0;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
      this.ws = null;
    }
    this.connect();
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `{type, seq, ...fields}`; queued while disconnected. */
  send(type, fields = {}) {
    const message = { type, ...fields };
    if (this.isOpen) {
      this.seq += 1;
      this.ws.send(JSON.stringify({ ...message, seq: this.seq }));
      this.note('→', type);
      return true;
    }
    if (type !== 'heartbeat') {
      this.pending.push(message);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
    }
    return false;
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  connect() {
    if (this.stopped) return;
    this.emit('status', { state: 'connecting' });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (_) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.seq = 0;
    let opened = false;
    let closeReason = null;

    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.openedOnce = true;
      this.emit('status', { state: 'open' });
      const queued = this.pending;
      this.pending = [];
      for (const m of queued) this.send(m.type, m);
    };

    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      if (!message || typeof message.type !== 'string') return;
      this.note('←', message.type + (message.state ? `:${message.state}` : '') + (message.code ? `:${message.code}` : ''));
      if (message.type === 'welcome') this.startHeartbeat(message.heartbeat_secs);
      if (message.type === 'error') {
        if (message.code === 'replaced') closeReason = 'replaced';
        else if (message.code === 'unauthenticated') closeReason = 'expired';
      }
      this.emit(message.type, message);
    };

    ws.onclose = () => {
      clearInterval(this.heartbeatTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (closeReason === 'replaced') {
        this.stopped = true;
        this.emit('status', { state: 'closed' });
        this.emit('replaced', {});
        return;
      }
      if (closeReason === 'expired') {
        this.stopped = true;
        this.emit('status', { state: 'closed' });
        this.emit('expired', {});
        return;
      }
      this.afterFailure(opened);
    };
  }

  /** Why did it fail? A 401 from /api/me is an expired session. */
  async afterFailure(wasOpen) {
    const check = await me();
    if (this.stopped) return;
    if (check.status === 401) {
      this.stopped = true;
      this.emit('status', { state: 'closed' });
      this.emit('expired', {});
      return;
    }
    this.scheduleRetry(check.status === 0 || !wasOpen);
  }

  scheduleRetry(unreachable = true) {
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.emit('status', {
      state: unreachable ? 'unreachable' : 'connecting',
      retryInSecs: Math.ceil(delay / 1000),
    });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  startHeartbeat(secs) {
    clearInterval(this.heartbeatTimer);
    const interval = Math.max(5, Number(secs) || 20) * 1000;
    this.heartbeatTimer = setInterval(() => this.send('heartbeat'), interval);
  }
}
