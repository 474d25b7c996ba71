/**
 * api.js — the hub's HTTP endpoints the console uses (same origin, so the
 * `SameSite=Strict` session cookie applies):
 *   POST /api/login  {username, password} → 200 profile + cookie, or 401
 *   POST /api/logout
 *   GET  /api/me     → profile, or 401 when the session is gone
 * Every function resolves to `{ok, status, body}` and never throws for
 * HTTP errors; a network failure resolves to `{ok: false, status: 0}`.
 */

async function request(method, path, body) {
  try {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    return { ok: res.ok, status: res.status, body: data };
  } catch (_) {
    return { ok: false, status: 0, body: null };
  }
}

export function login(username, password) {
  return request('POST', '/api/login', { username, password });
}

export function logout() {
  return request('POST', '/api/logout');
}

export function me() {
  return request('GET', '/api/me');
}
