//! Call set-up time, lawyer's click on 接听 → media, on loopback.
//!
//! One process: the real hub in-process, Debian's headless Chromium running
//! the real console as the duty lawyer (fake camera and microphone), and a
//! terminal made of what the kiosk uses — `kiosk-hub-client`'s `HubClient`
//! and `CallSession` driving `kiosk-call` (VP8 test pattern + Opus tone).
//! For each call the terminal asks for a lawyer, the console rings, the
//! harness clicks 接听 with real mouse events, and these moments are taken:
//!
//! * click: `performance.timeOrigin + performance.now()` in the page's
//!   接听 click handler (wall-clock ms; the terminal's moments are wall-clock
//!   ms from `SystemTime` in the same process, so both sides share a clock);
//! * (a) the terminal's media path connected (`SessionEvent::Connected`:
//!   ICE and DTLS up);
//! * (b) the first remote (lawyer's) frame decoded on the terminal
//!   (`SessionEvent::RemoteVideoStarted`, emitted by the VP8 decoder thread
//!   after the first picture);
//! * (c) the first terminal frame in Chromium: the remote `<video>`'s first
//!   `requestVideoFrameCallback` (decoded and handed to the compositor);
//!   its metadata also gives receive time and decode duration.
//!
//! Every call is hung up by the lawyer (挂断) and the terminal's session is
//! joined before the next. One warm-up call (not counted) goes first.
//!
//! Usage: `cargo bench -p system-tests --bench call_setup -- [--calls N]
//! [--warmup N] [--trace] [--json FILE]` (N defaults to 10 and 1).
//! `--trace` prints each call's log lines from kiosk-call, the hub client
//! and webrtc-rs with their time since the click (`--trace-debug`: also
//! their debug lines). `BENCH_QUICK=1` → 3 calls.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kiosk_hub_client::{
    CallConfig, CallSession, HubClient, HubClientConfig, HubEvent, MediaSources, SessionConfig,
    SessionEvent,
};
use serde_json::Value;
use system_tests::{Chromium, Hub, LawyerPage, Result, WAIT, fail, within};
use tokio::sync::mpsc;

/// Wall-clock milliseconds since the epoch.
fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

// ----- a logger that keeps time-stamped lines for --trace -------------------

struct TraceLog {
    lines: Mutex<Vec<(f64, String)>>,
}

impl log::Log for TraceLog {
    fn enabled(&self, m: &log::Metadata) -> bool {
        let t = m.target();
        m.level() <= log::max_level()
            && (t.starts_with("kiosk_call")
                || t.starts_with("kiosk_hub_client")
                || t.starts_with("webrtc")
                || t.starts_with("rtc"))
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            let line = format!("{} {}", r.target(), r.args());
            self.lines.lock().unwrap().push((now_ms(), line));
        }
    }
    fn flush(&self) {}
}

static TRACE: OnceLock<&'static TraceLog> = OnceLock::new();

fn trace_take() -> Vec<(f64, String)> {
    TRACE
        .get()
        .map(|t| std::mem::take(&mut *t.lines.lock().unwrap()))
        .unwrap_or_default()
}

// ----- options ---------------------------------------------------------------

struct Options {
    calls: usize,
    warmup: usize,
    trace: bool,
    trace_debug: bool,
    json: Option<String>,
}

fn options() -> Options {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let mut o = Options {
        calls: if quick { 3 } else { 10 },
        warmup: 1,
        trace: false,
        trace_debug: false,
        json: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--calls" => o.calls = args.next().and_then(|v| v.parse().ok()).unwrap_or(o.calls),
            "--warmup" => o.warmup = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            "--trace" => o.trace = true,
            "--trace-debug" => {
                o.trace = true;
                o.trace_debug = true;
            }
            "--json" => o.json = args.next(),
            "--bench" => {} // passed by `cargo bench`
            other => eprintln!("call_setup: ignoring argument {other}"),
        }
    }
    o.calls = o.calls.max(1);
    o
}

// ----- the terminal ------------------------------------------------------------

/// What the terminal side reports to the measuring loop, time-stamped.
enum TerminalNote {
    Hub(f64, HubEvent),
    Session(f64, SessionEvent),
}

/// The kiosk's hub client; on `accepted` it starts a `CallSession` at once
/// (as the terminal app does) and feeds it the hub's signals.
struct Terminal {
    client: HubClient,
    notes: mpsc::UnboundedReceiver<TerminalNote>,
    session: Arc<Mutex<Option<CallSession>>>,
}

impl Terminal {
    fn start(hub: &Hub, id: &str) -> Terminal {
        let (note_tx, notes) = mpsc::unbounded_channel();
        let (hub_tx, hub_rx) = flume::unbounded::<(f64, HubEvent)>();
        let config = HubClientConfig::new(
            hub.ws_url("/ws/terminal"),
            id,
            Hub::token(id),
            hub.office_of(id),
        );
        let client = HubClient::start(config, move |e| {
            let _ = hub_tx.send((now_ms(), e));
        });
        let session: Arc<Mutex<Option<CallSession>>> = Arc::default();
        let sender = client.sender();
        let slot = session.clone();
        // The app's event loop, in short: one thread taking the client's
        // events in order.
        std::thread::Builder::new()
            .name("bench-terminal".into())
            .spawn(move || {
                while let Ok((t, ev)) = hub_rx.recv() {
                    match &ev {
                        HubEvent::Accepted {
                            call_id,
                            ice_servers,
                            ..
                        } => {
                            let tx = note_tx.clone();
                            let s = CallSession::start(
                                sender.clone(),
                                call_id.clone(),
                                ice_servers,
                                SessionConfig {
                                    call: CallConfig::loopback(),
                                    ..SessionConfig::default()
                                },
                                MediaSources::default(),
                                move |e| {
                                    let _ = tx.send(TerminalNote::Session(now_ms(), e));
                                },
                            );
                            *slot.lock().unwrap() = Some(s);
                        }
                        HubEvent::Signal { .. } | HubEvent::Ended { .. } => {
                            if let Some(s) = slot.lock().unwrap().as_ref() {
                                s.handle_hub_event(&ev);
                            }
                        }
                        _ => {}
                    }
                    if note_tx.send(TerminalNote::Hub(t, ev)).is_err() {
                        break;
                    }
                }
            })
            .expect("the bench terminal thread");
        Terminal {
            client,
            notes,
            session,
        }
    }

    /// The next note matching `pick`, within `timeout`.
    async fn until<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut pick: impl FnMut(&TerminalNote) -> Option<T>,
    ) -> Result<T> {
        within(what, timeout, async {
            while let Some(n) = self.notes.recv().await {
                if let Some(t) = pick(&n) {
                    return Ok(t);
                }
            }
            Err(fail!("the terminal stopped before {what}"))
        })
        .await?
    }
}

// ----- one call ----------------------------------------------------------------

#[derive(Debug, Default, Clone, serde::Serialize)]
struct CallTimes {
    /// All in ms after the 接听 click (in the page).
    accepted_at_terminal: f64,
    offer_in_browser: f64,
    answer_sent: f64,
    browser_connected: f64,
    terminal_connected: f64,
    terminal_first_frame: f64,
    browser_first_frame: f64,
    /// From requestVideoFrameCallback metadata: last packet of the first
    /// frame received, and that plus its decode time.
    browser_first_frame_received: Option<f64>,
    browser_first_frame_decoded: Option<f64>,
    /// Harness clock: CDP click sent → handler ran in the page.
    click_dispatch: f64,
}

async fn one_call(
    hub: &Hub,
    lawyer: &LawyerPage,
    terminal: &mut Terminal,
    trace: bool,
) -> Result<CallTimes> {
    let _ = hub;
    terminal.client.request_call("labor", "测试", None, None);
    lawyer.wait_offer(WAIT).await?;
    let _ = trace_take();
    let before_click = now_ms();
    lawyer.accept().await?;

    let accepted = terminal
        .until("accepted", WAIT, |n| match n {
            TerminalNote::Hub(t, HubEvent::Accepted { .. }) => Some(*t),
            _ => None,
        })
        .await?;
    let mut connected = None;
    let mut first_frame = None;
    while connected.is_none() || first_frame.is_none() {
        let note = terminal
            .until("terminal media", Duration::from_secs(30), |n| match n {
                TerminalNote::Session(t, SessionEvent::Connected) => Some((0, *t)),
                TerminalNote::Session(t, SessionEvent::RemoteVideoStarted { .. }) => Some((1, *t)),
                TerminalNote::Session(_, SessionEvent::Ended(_)) => Some((2, 0.0)),
                _ => None,
            })
            .await?;
        match note {
            (0, t) => connected = connected.or(Some(t)),
            (1, t) => first_frame = first_frame.or(Some(t)),
            _ => return Err(fail!("the terminal's session ended during set-up")),
        }
    }
    let t = lawyer
        .page
        .wait_for_value(
            "the first frame in the console",
            Duration::from_secs(30),
            "(() => { const t = window.lawyerConsole.timings; return t && t.firstFrameAt ? t : null; })()",
        )
        .await?;
    let origin = num(&t, "timeOrigin")?;
    let click = num(&t, "acceptedAt")?;
    let page = |k: &str| -> Result<f64> { Ok(num(&t, k)? - click) };
    let wall = |ms: f64| ms - (origin + click);
    let meta = &t["firstFrame"];
    let received = meta["receiveTime"].as_f64().map(|r| r - click);
    let decoded = match (received, meta["processingDuration"].as_f64()) {
        (Some(r), Some(p)) => Some(r + p * 1000.0),
        _ => None,
    };
    let times = CallTimes {
        accepted_at_terminal: wall(accepted),
        offer_in_browser: page("offerAt")?,
        answer_sent: page("answerAt")?,
        browser_connected: page("connectedAt")?,
        terminal_connected: wall(connected.unwrap_or_default()),
        terminal_first_frame: wall(first_frame.unwrap_or_default()),
        browser_first_frame: page("firstFrameAt")?,
        browser_first_frame_received: received,
        browser_first_frame_decoded: decoded,
        click_dispatch: origin + click - before_click,
    };
    if trace {
        let base = origin + click;
        for (at, line) in trace_take() {
            eprintln!("    {:>8.1} ms  {line}", at - base);
        }
    }

    // 挂断, and the terminal's session over and joined before the next call.
    lawyer.hang_up().await?;
    terminal
        .until("the session's end", WAIT, |n| {
            matches!(n, TerminalNote::Session(_, SessionEvent::Ended(_))).then_some(())
        })
        .await?;
    let session = terminal.session.lock().unwrap().take();
    if let Some(s) = session {
        tokio::task::spawn_blocking(move || s.join())
            .await
            .map_err(|e| fail!("joining the session: {e}"))?;
    }
    lawyer.wait_state("available").await?;
    Ok(times)
}

fn num(v: &Value, k: &str) -> Result<f64> {
    v[k].as_f64()
        .ok_or_else(|| fail!("the console's timings have no {k}: {v}"))
}

// ----- statistics and output --------------------------------------------------

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

struct Row {
    name: &'static str,
    target: Option<f64>,
    get: fn(&CallTimes) -> Option<f64>,
}

fn main() -> std::process::ExitCode {
    let opts = options();
    if opts.trace {
        let logger: &'static TraceLog = Box::leak(Box::new(TraceLog {
            lines: Mutex::new(Vec::new()),
        }));
        let _ = TRACE.set(logger);
        let _ = log::set_logger(logger);
        log::set_max_level(if opts.trace_debug {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Info
        });
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match rt.block_on(run(&opts)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("call_setup: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run(opts: &Options) -> Result<bool> {
    let hub = Hub::start().await?;
    let chromium = Chromium::launch().await?;
    let lawyer = LawyerPage::open(chromium.new_page().await?, &hub).await?;
    let account = hub.lawyer("wang").clone();
    lawyer.sign_in(&account.username, &account.password).await?;
    lawyer.set_available().await?;
    let mut terminal = Terminal::start(&hub, "t-0001");
    terminal
        .until("the terminal signed in", WAIT, |n| {
            matches!(n, TerminalNote::Hub(_, HubEvent::Connected { .. })).then_some(())
        })
        .await?;

    let mut all = Vec::new();
    for i in 0..opts.warmup + opts.calls {
        let warm = i < opts.warmup;
        if opts.trace {
            eprintln!("call {i}{}:", if warm { " (warm-up)" } else { "" });
        }
        let t = one_call(&hub, &lawyer, &mut terminal, opts.trace).await?;
        eprintln!(
            "call {i:>2}{}: terminal accepted {:6.1}  offer@browser {:6.1}  answer {:6.1}  browser connected {:6.1}  \
             terminal connected {:6.1}  terminal 1st frame {:6.1}  browser 1st frame {:6.1} (decoded {:>6})  [click dispatch {:.1}]",
            if warm { " (warm-up)" } else { "" },
            t.accepted_at_terminal,
            t.offer_in_browser,
            t.answer_sent,
            t.browser_connected,
            t.terminal_connected,
            t.terminal_first_frame,
            t.browser_first_frame,
            t.browser_first_frame_decoded
                .map(|d| format!("{d:.1}"))
                .unwrap_or_else(|| "-".into()),
            t.click_dispatch,
        );
        if !warm {
            all.push(t);
        }
    }
    let errors: Vec<String> = lawyer
        .page
        .console_log()
        .into_iter()
        .filter(|l| l.starts_with("exception"))
        .collect();
    if !errors.is_empty() {
        eprintln!("call_setup: page exceptions: {errors:?}");
    }
    drop(terminal);

    let rows = [
        Row {
            name: "terminal: `accepted` received (hub relay)",
            target: None,
            get: |t| Some(t.accepted_at_terminal),
        },
        Row {
            name: "browser: terminal's offer received",
            target: None,
            get: |t| Some(t.offer_in_browser),
        },
        Row {
            name: "browser: peer connection connected",
            target: None,
            get: |t| Some(t.browser_connected),
        },
        Row {
            name: "(a) terminal: media path connected (ICE + DTLS)",
            target: None,
            get: |t| Some(t.terminal_connected),
        },
        Row {
            name: "(b) terminal: first lawyer frame decoded",
            target: Some(500.0),
            get: |t| Some(t.terminal_first_frame),
        },
        Row {
            name: "(c) browser: first terminal frame decoded (rVFC metadata)",
            target: None,
            get: |t| t.browser_first_frame_decoded,
        },
        Row {
            name: "(c) browser: first terminal frame presented (rVFC callback)",
            target: Some(500.0),
            get: |t| Some(t.browser_first_frame),
        },
    ];
    println!(
        "Call set-up on loopback, {} calls (+{} warm-up), ms after the lawyer's click on 接听:",
        all.len(),
        opts.warmup
    );
    println!();
    println!("| milestone | median | p90 | max | target | result |");
    println!("|---|---|---|---|---|---|");
    let mut pass = true;
    for r in &rows {
        let mut v: Vec<f64> = all.iter().filter_map(r.get).collect();
        if v.is_empty() {
            println!("| {} | – | – | – | – | not measured |", r.name);
            continue;
        }
        v.sort_by(f64::total_cmp);
        let max = *v.last().unwrap();
        let (target, verdict) = match r.target {
            Some(t) => {
                let ok = max < t;
                pass &= ok;
                (
                    format!("< {t:.0}"),
                    if ok { "pass (max)" } else { "FAIL (max)" },
                )
            }
            None => ("–".into(), ""),
        };
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {target} | {verdict} |",
            r.name,
            median(&v),
            percentile(&v, 90.0),
            max
        );
    }
    if let Some(path) = &opts.json {
        let json = serde_json::to_string_pretty(&all).unwrap_or_default();
        std::fs::write(path, json).map_err(|e| fail!("writing {path}: {e}"))?;
    }
    Ok(pass)
}
