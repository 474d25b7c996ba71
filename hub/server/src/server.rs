//! HTTP routes, and starting the whole service.
//!
//! | method, path | who | what |
//! |---|---|---|
//! | `GET /ws/terminal` | terminal | WebSocket; first message `hello` ([`crate::terminal`]) |
//! | `GET /ws/lawyer` | lawyer (cookie) | WebSocket ([`crate::lawyer`]); `401` without a session |
//! | `POST /api/login` | lawyer | `{"username","password"}` → `200` profile + `Set-Cookie`, or `401` |
//! | `POST /api/logout` | lawyer | ends the session |
//! | `GET /api/me` | lawyer (cookie) | `{"username","display_name","skills"}` |
//! | `GET /api/stats?days=N` | lawyer (cookie) | figures, see [`crate::stats`] |
//! | `GET /healthz` | load balancer | `ok` |
//! | `GET /*` | browser | static files of the console (`server.console_dir`) |
//!
//! Requests with an `Origin` header whose host differs from `Host` are
//! refused on the lawyer routes (`403`), against cross-site WebSocket
//! hijacking.

#![allow(clippy::result_large_err)] // axum responses as errors are the idiom here

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_http::services::ServeDir;

use crate::auth::{self, COOKIE_NAME, SessionInfo, Sessions};
use crate::config::Config;
use crate::db::{Db, now_ms};
use crate::hub::{self, HubTx};
use crate::records;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub sessions: Arc<Sessions>,
    pub hub: HubTx,
    next_conn: Arc<AtomicU64>,
    /// Verified against when a username is unknown, so timing does not
    /// reveal which usernames exist.
    dummy_hash: Arc<String>,
    passwords: auth::PasswordChecker,
}

/// A running hub.
pub struct Running {
    pub addr: SocketAddr,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Opens the database, starts the hub task and serves on `listen`
/// (`127.0.0.1:0` picks a free port).
pub async fn start(config: Config) -> Result<Running, String> {
    let config = Arc::new(config);
    let db = Db::open(&config.server.database).map_err(|e| e.to_string())?;
    let closed = db
        .call(|c| records::close_dangling_records(c, now_ms()))
        .await
        .map_err(|e| e.to_string())?;
    if closed > 0 {
        log::warn!("{closed} call records left open by the last run were closed");
    }
    let dummy_hash = tokio::task::spawn_blocking(|| auth::hash_password("not a password"))
        .await
        .map_err(|e| e.to_string())??;
    let hub = hub::start(config.clone(), db.clone());
    let state = AppState {
        sessions: Arc::new(Sessions::new(Duration::from_secs(
            u64::from(config.server.session_hours) * 3600,
        ))),
        config: config.clone(),
        db,
        hub,
        next_conn: Arc::new(AtomicU64::new(1)),
        dummy_hash: Arc::new(dummy_hash),
        passwords: auth::PasswordChecker::start().map_err(|e| e.to_string())?,
    };
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.server.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = router(state);
    log::info!("hub listening on {addr}");
    // No Nagle: signaling is a burst of small messages (offer, then each
    // candidate); with Nagle a candidate can wait for the previous write's
    // ACK, and the call's set-up with it.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            log::debug!("TCP_NODELAY not set: {e}");
        }
    });
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Running { addr, task })
}

pub fn router(state: AppState) -> Router {
    let console = ServeDir::new(&state.config.server.console_dir);
    Router::new()
        .route("/ws/terminal", get(ws_terminal))
        .route("/ws/lawyer", get(ws_lawyer))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/stats", get(stats))
        .route("/healthz", get(|| async { "ok" }))
        .fallback_service(console)
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(state)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn configure(ws: WebSocketUpgrade, config: &Config) -> WebSocketUpgrade {
    let max = config.limits.max_message_bytes;
    // Small buffers: thousands of idle terminals must stay cheap. Messages
    // up to twice the limit are read so they can be answered with
    // `too_large`; beyond that the socket is simply dropped.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * max)
        .max_message_size(2 * max + 1024)
        .max_frame_size(2 * max + 1024)
}

async fn ws_terminal(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let (config, hub) = (state.config.clone(), state.hub.clone());
    configure(ws, &state.config)
        .on_upgrade(move |socket| crate::terminal::run(socket, id, config, hub))
        .into_response()
}

/// `Err(403)` when `Origin` names another host than `Host`.
fn same_origin(headers: &HeaderMap) -> Result<(), Response> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        log::warn!("refused a cross-origin lawyer request");
        Err(error(StatusCode::FORBIDDEN, "cross-origin request"))
    }
}

fn session_of(state: &AppState, headers: &HeaderMap) -> Option<(String, SessionInfo)> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let id = auth::cookie_value(cookies, COOKIE_NAME)?;
    state.sessions.get(id).map(|s| (id.to_owned(), s))
}

/// The signed-in, enabled lawyer, or the response refusing the request.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<records::Lawyer, Response> {
    same_origin(headers)?;
    let Some((_, session)) = session_of(state, headers) else {
        return Err(error(StatusCode::UNAUTHORIZED, "sign in first"));
    };
    let lawyer_id = session.lawyer_id;
    match state
        .db
        .call(move |c| records::lawyer_by_id(c, lawyer_id))
        .await
    {
        Ok(Some(l)) if !l.disabled => Ok(l),
        Ok(_) => {
            state.sessions.remove_lawyer(lawyer_id);
            Err(error(StatusCode::UNAUTHORIZED, "account disabled"))
        }
        Err(e) => {
            log::error!("loading a lawyer failed: {e}");
            Err(error(StatusCode::INTERNAL_SERVER_ERROR, "storage failure"))
        }
    }
}

async fn ws_lawyer(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let lawyer = match signed_in(&state, &headers).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let (config, hub) = (state.config.clone(), state.hub.clone());
    configure(ws, &state.config)
        .on_upgrade(move |socket| crate::lawyer::run(socket, id, lawyer, config, hub))
        .into_response()
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

fn profile(l: &records::Lawyer) -> serde_json::Value {
    serde_json::json!({
        "username": l.username,
        "display_name": l.display_name,
        "skills": l.skills,
    })
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(r) = same_origin(&headers) {
        return r;
    }
    let Ok(Json(req)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected JSON {\"username\", \"password\"}",
        );
    };
    if req.username.len() > 100 || req.password.len() > 1000 {
        return error(StatusCode::UNAUTHORIZED, "wrong username or password");
    }
    let username = req.username.clone();
    let lawyer = match state
        .db
        .call(move |c| records::lawyer_by_username(c, &username))
        .await
    {
        Ok(l) => l,
        Err(e) => {
            log::error!("loading a lawyer failed: {e}");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "storage failure");
        }
    };
    let hash = lawyer
        .as_ref()
        .map(|l| l.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.as_ref().clone());
    let password = req.password;
    let ok = state.passwords.verify(password, hash).await;
    match lawyer {
        Some(l) if ok && !l.disabled => {
            let id = state.sessions.create(SessionInfo { lawyer_id: l.id });
            log::info!("lawyer {} signed in", l.id);
            let cookie = auth::session_cookie(
                &id,
                state.config.server.cookie_secure,
                u64::from(state.config.server.session_hours) * 3600,
            );
            ([(header::SET_COOKIE, cookie)], Json(profile(&l))).into_response()
        }
        _ => {
            log::info!("failed sign-in attempt");
            error(StatusCode::UNAUTHORIZED, "wrong username or password")
        }
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some((id, _)) = session_of(&state, &headers) {
        state.sessions.remove(&id);
    }
    let cookie = auth::session_cookie("", state.config.server.cookie_secure, 0);
    ([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response()
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&state, &headers).await {
        Ok(l) => Json(profile(&l)).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct StatsQuery {
    days: Option<u32>,
}

async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(r) = signed_in(&state, &headers).await {
        return r;
    }
    let days = query.ok().and_then(|q| q.days).unwrap_or(30);
    match state
        .db
        .call(move |c| crate::stats::stats(c, now_ms(), days))
        .await
    {
        Ok(s) => Json(s).into_response(),
        Err(e) => {
            log::error!("statistics failed: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "storage failure")
        }
    }
}
