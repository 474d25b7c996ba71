//! `hub-load`: how many idle terminals one hub holds, and how fast it
//! dispatches.
//!
//! Starts the `hub` binary (next to this one, or `--hub PATH`) on a free
//! loopback port with a temporary database and `N` configured terminals,
//! then:
//!
//! 1. opens `--terminals` terminal WebSockets (hello, then a heartbeat every
//!    20 s) and reports the hub's resident memory (`VmRSS` from
//!    `/proc/<pid>/status`) before and after, per connection;
//! 2. signs in `--lawyers` simulated lawyers (topic `labor`), who accept
//!    every offer at once and hang up after `--talk-ms`; `--calls`
//!    terminals request a call at `--rate` per second; reports the dispatch
//!    latency (terminal sends `request_call` → lawyer receives `offer`),
//!    p50 / p99 / max.
//!
//! It raises its open-files limit to the hard limit (the hub inherits it);
//! 5,000 terminals need about 10,100 descriptors in total, so a hard limit
//! below that (see `ulimit -Hn`) must be raised first. Only loopback is
//! used. Build with `--release` for meaningful figures:
//!
//! ```text
//! cargo build --release -p hub --bins
//! target/release/hub-load --terminals 5000 --lawyers 20 --calls 1000 --rate 50
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use hub_protocol::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser)]
#[command(about = "Load test of the hub on loopback")]
struct Args {
    #[arg(long, default_value_t = 5000)]
    terminals: usize,
    #[arg(long, default_value_t = 20)]
    lawyers: usize,
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// Calls requested per second.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// How long each simulated consultation lasts.
    #[arg(long, default_value_t = 200)]
    talk_ms: u64,
    /// The hub binary (default: `hub` next to this program).
    #[arg(long)]
    hub: Option<PathBuf>,
}

const PASSWORD: &str = "load-test-password";

type Shared<T> = Arc<Mutex<T>>;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Where the hub's resident memory is, from `/proc/<pid>/smaps`: the main
/// heap (`[heap]`, glibc's main arena), anonymous mappings (thread arenas —
/// 64 MiB reservations — and thread stacks), and file-backed pages
/// (the binary and libraries), in KiB; plus the number of anonymous
/// mappings holding more than 1 MiB.
fn rss_breakdown(pid: u32) -> String {
    let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return "no smaps".into();
    };
    let (mut heap, mut anon, mut file, mut big) = (0u64, 0u64, 0u64, 0usize);
    let mut kind = 0u8; // 0 heap, 1 anon, 2 file
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let first = f.next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            let name = line.split_whitespace().nth(5).unwrap_or("");
            kind = match name {
                "[heap]" => 0,
                "" | "[stack]" | "[anon]" => 1,
                n if n.starts_with('[') => 1,
                _ => 2,
            };
        } else if first == "Rss:" {
            let kib: u64 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            match kind {
                0 => heap += kib,
                1 => {
                    anon += kib;
                    if kib > 1024 {
                        big += 1;
                    }
                }
                _ => file += kib,
            }
        }
    }
    format!(
        "main heap {:.1} MiB, other anonymous {:.1} MiB ({big} mappings > 1 MiB), file-backed {:.1} MiB",
        heap as f64 / 1024.0,
        anon as f64 / 1024.0,
        file as f64 / 1024.0
    )
}

fn raise_nofile() -> u64 {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            return lim.rlim_cur;
        }
    }
    0
}

fn token(i: usize) -> String {
    format!("load-token-{i:06}-abcdefgh")
}

struct HubProcess {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hub(args: &Args) -> Result<HubProcess, String> {
    let bin = args.hub.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .map(|p| p.with_file_name("hub"))
            .unwrap_or_else(|_| PathBuf::from("hub"))
    });
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let mut config = format!(
        "[server]\nlisten = \"{addr}\"\ndatabase = \"{}\"\nconsole_dir = \"{}\"\n[limits]\nheartbeat_secs = 20\n",
        dir.path().join("hub.db").display(),
        dir.path().display()
    );
    for i in 0..args.terminals.max(args.calls) {
        config.push_str(&format!(
            "[terminals.lt{i}]\ntoken = \"{}\"\noffice = \"Office {}\"\n",
            token(i),
            i % 50
        ));
    }
    let config_path = dir.path().join("hub.toml");
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let password_path = dir.path().join("password");
    std::fs::write(&password_path, PASSWORD).map_err(|e| e.to_string())?;
    for l in 0..args.lawyers {
        let status = Command::new(&bin)
            .arg("--config")
            .arg(&config_path)
            .args(["admin", "add-lawyer", "--username", &format!("load{l}")])
            .args(["--display-name", &format!("Load {l}"), "--skills", "labor"])
            .arg("--password-file")
            .arg(&password_path)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        if !status.success() {
            return Err("hub admin add-lawyer failed".into());
        }
    }
    let child = Command::new(&bin)
        .arg("--config")
        .arg(&config_path)
        .arg("serve")
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    Ok(HubProcess {
        child,
        addr,
        _dir: dir,
    })
}

async fn wait_ready(addr: SocketAddr) -> Result<(), String> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the hub did not start listening".into())
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send<M: Message>(ws: &mut Ws, seq: &mut u64, m: &M) -> bool {
    *seq += 1;
    ws.send(WsMessage::Text(encode(*seq, m).into()))
        .await
        .is_ok()
}

/// One idle terminal; on a command it requests a call and records when.
async fn terminal(
    addr: SocketAddr,
    i: usize,
    ready: mpsc::Sender<()>,
    mut go: mpsc::Receiver<()>,
    requested: Shared<HashMap<String, Instant>>,
    done: mpsc::UnboundedSender<()>,
) {
    let Ok((mut ws, _)) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws/terminal")).await
    else {
        eprintln!("terminal {i}: connect failed");
        return;
    };
    let mut seq = 0;
    let id = format!("lt{i}");
    let hello = TerminalToHub::Hello {
        terminal_id: id.clone(),
        token: token(i),
        office: String::new(),
        resume_token: None,
    };
    if !send(&mut ws, &mut seq, &hello).await {
        return;
    }
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Text(t))) => {
                if let Ok(Envelope {
                    message: HubToTerminal::Welcome { .. },
                    ..
                }) = decode::<HubToTerminal>(t.as_bytes())
                {
                    break;
                }
            }
            Some(Ok(_)) => {}
            _ => {
                eprintln!("terminal {i}: no welcome");
                return;
            }
        }
    }
    let _ = ready.send(()).await;
    let mut heartbeat = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(20),
        Duration::from_secs(20),
    );
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(WsMessage::Text(t))) => {
                    if let Ok(Envelope { message: HubToTerminal::Ended { .. }, .. }) = decode::<HubToTerminal>(t.as_bytes()) {
                        let _ = done.send(());
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
            _ = heartbeat.tick() => {
                if !send(&mut ws, &mut seq, &TerminalToHub::Heartbeat).await {
                    return;
                }
            }
            Some(()) = go.recv() => {
                let request = TerminalToHub::RequestCall {
                    topic: "labor".into(),
                    resident_name: "Load".into(),
                    masked_id: None,
                    callback_phone: None,
                };
                requested.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), Instant::now());
                if !send(&mut ws, &mut seq, &request).await {
                    return;
                }
            }
        }
    }
}

async fn login(addr: SocketAddr, user: &str) -> Result<String, String> {
    let body = format!(r#"{{"username":"{user}","password":"{PASSWORD}"}}"#);
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let req = format!(
        "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .and_then(|l| {
            l["set-cookie:".len()..]
                .trim()
                .split(';')
                .next()
                .map(str::to_owned)
        })
        .ok_or_else(|| "login failed".to_owned())
}

/// A lawyer who accepts every offer and hangs up after `talk`.
async fn lawyer(
    addr: SocketAddr,
    user: String,
    talk: Duration,
    requested: Shared<HashMap<String, Instant>>,
    latencies: Shared<Vec<Duration>>,
) -> Result<(), String> {
    let cookie = login(addr, &user).await?;
    let mut request = format!("ws://{addr}/ws/lawyer")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Cookie",
        cookie.parse().map_err(|_| "bad cookie".to_owned())?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    let mut seq = 0;
    send(
        &mut ws,
        &mut seq,
        &LawyerToHub::SetState {
            state: Availability::Available,
        },
    )
    .await;
    let mut heartbeat = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            frame = ws.next() => {
                let Some(Ok(frame)) = frame else { return Ok(()) };
                let WsMessage::Text(t) = frame else { continue };
                let Ok(m) = decode::<HubToLawyer>(t.as_bytes()) else { continue };
                match m.message {
                    HubToLawyer::Offer { call_id, terminal_id, .. } => {
                        let now = Instant::now();
                        if let Some(at) = requested.lock().unwrap_or_else(|e| e.into_inner()).remove(&terminal_id) {
                            latencies.lock().unwrap_or_else(|e| e.into_inner()).push(now - at);
                        }
                        send(&mut ws, &mut seq, &LawyerToHub::Accept { call_id }).await;
                    }
                    HubToLawyer::CallStarted { call_id, .. } => {
                        tokio::time::sleep(talk).await;
                        send(&mut ws, &mut seq, &LawyerToHub::HangUp { call_id }).await;
                    }
                    _ => {}
                }
            }
            _ = heartbeat.tick() => {
                send(&mut ws, &mut seq, &LawyerToHub::Heartbeat).await;
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let nofile = raise_nofile();
    let needed = (args.terminals as u64) * 2 + 200;
    if nofile < needed {
        return Err(format!(
            "the open-files limit is {nofile}; {} terminals need about {needed} (raise `ulimit -Hn`)",
            args.terminals
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<(), String> {
    let hub = start_hub(&args)?;
    let pid = hub.child.id();
    let addr = hub.addr;
    wait_ready(addr).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);
    println!(
        "hub pid {pid} on {addr}; RSS before terminals: {} KiB",
        before
    );

    // Phase 1: idle terminals.
    let requested: Shared<HashMap<String, Instant>> = Arc::default();
    let (ready_tx, mut ready_rx) = mpsc::channel(args.terminals.max(1));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let mut go = Vec::new();
    let started = Instant::now();
    for i in 0..args.terminals {
        let (go_tx, go_rx) = mpsc::channel(1);
        go.push(go_tx);
        tokio::spawn(terminal(
            addr,
            i,
            ready_tx.clone(),
            go_rx,
            requested.clone(),
            done_tx.clone(),
        ));
        if i % 100 == 99 {
            // Do not flood the listen backlog.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(ready_tx);
    let mut connected = 0;
    while connected < args.terminals {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => connected += 1,
            _ => break,
        }
    }
    println!(
        "{connected} terminals connected in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    let per = if connected > 0 {
        (after.saturating_sub(before) as f64) * 1024.0 / connected as f64
    } else {
        0.0
    };
    println!(
        "RSS with {connected} idle terminals: {:.1} MiB ({:.1} KiB per connection)",
        after as f64 / 1024.0,
        per / 1024.0
    );
    println!("  ({})", rss_breakdown(pid));

    // Phase 2: calls through simulated lawyers.
    let latencies: Shared<Vec<Duration>> = Arc::default();
    for l in 0..args.lawyers {
        let (r, lat) = (requested.clone(), latencies.clone());
        let talk = Duration::from_millis(args.talk_ms);
        tokio::spawn(async move {
            if let Err(e) = lawyer(addr, format!("load{l}"), talk, r, lat).await {
                eprintln!("lawyer {l}: {e}");
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls = args.calls.min(connected);
    let gap = Duration::from_secs_f64(1.0 / args.rate.max(0.1));
    let started = Instant::now();
    for (i, go) in go.iter().take(calls).enumerate() {
        let _ = go.send(()).await;
        let due = started + gap * (i as u32 + 1);
        tokio::time::sleep_until(due.into()).await;
    }
    let mut ended = 0;
    while ended < calls {
        match tokio::time::timeout(Duration::from_secs(30), done_rx.recv()).await {
            Ok(Some(())) => ended += 1,
            _ => break,
        }
    }
    let mut lat = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    lat.sort();
    println!(
        "{ended}/{calls} calls completed in {:.1} s; dispatch latency (request_call -> offer) over {} calls: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        started.elapsed().as_secs_f64(),
        lat.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    println!("RSS after calls: {:.1} MiB", rss_kib(pid) as f64 / 1024.0);
    println!("  ({})", rss_breakdown(pid));
    drop(hub);
    std::process::exit(0);
}
