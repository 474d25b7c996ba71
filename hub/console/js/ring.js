/**
 * ring.js — the ringing sound of an incoming offer, made with WebAudio (no
 * sound files): two short 440/480 Hz bursts every two seconds, like a
 * phone. Browsers start audio only after a user gesture, so `unlock()` is
 * called from the first clicks (sign-in, 值班中); if the context is still
 * suspended the visual ringing alone remains.
 */

let context = null;
let timer = null;

function audioContext() {
  if (!context) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    context = new Ctx();
  }
  return context;
}

/** Call from a click handler so later rings can sound. */
export function unlock() {
  const ctx = audioContext();
  if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
}

function burst(ctx, start, length) {
  const gain = ctx.createGain();
  gain.gain.setValueAtTime(0, start);
  gain.gain.linearRampToValueAtTime(0.15, start + 0.02);
  gain.gain.setValueAtTime(0.15, start + length - 0.03);
  gain.gain.linearRampToValueAtTime(0, start + length);
  gain.connect(ctx.destination);
  for (const f of [440, 480]) {
    const osc = ctx.createOscillator();
    osc.frequency.value = f;
    osc.connect(gain);
    osc.start(start);
    osc.stop(start + length);
  }
}

function ringOnce() {
  const ctx = audioContext();
  if (!ctx || ctx.state !== 'running') return;
  const t = ctx.currentTime + 0.01;
  burst(ctx, t, 0.4);
  burst(ctx, t + 0.6, 0.4);
}

export function startRinging() {
  stopRinging();
  ringOnce();
  timer = setInterval(ringOnce, 2000);
}

export function stopRinging() {
  clearInterval(timer);
  timer = null;
}
