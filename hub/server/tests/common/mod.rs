//! A real hub on 127.0.0.1:0 with a temporary database, and small clients.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hub::config::{Config, TerminalEntry};
use hub_protocol::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Generous: the tests run on loaded two-core machines.
pub const WAIT: Duration = Duration::from_secs(15);
pub const PASSWORD: &str = "correct horse battery";

pub struct TestHub {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub config: Config,
}

pub fn token(terminal: &str) -> String {
    format!("token-of-{terminal}-0123456789")
}

pub async fn start(tweak: impl FnOnce(&mut Config)) -> TestHub {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".into();
    config.server.database = dir.path().join("hub.db");
    config.server.console_dir = dir.path().join("console");
    for t in ["t1", "t2", "t3"] {
        config.terminals.insert(
            t.into(),
            TerminalEntry {
                token: token(t),
                office: format!("Office {t}"),
            },
        );
    }
    tweak(&mut config);
    // Accounts are created the way `hub admin add-lawyer` does it.
    for (user, skills) in [
        ("alice", "labor,family"),
        ("bob", "labor"),
        ("carol", "land"),
    ] {
        hub::admin::add_lawyer(
            &config.server.database,
            user,
            &format!("Lawyer {user}"),
            skills,
            PASSWORD,
        )
        .unwrap();
    }
    let running = hub::server::start(config.clone()).await.unwrap();
    TestHub {
        addr: running.addr,
        dir,
        config,
    }
}

/// A minimal HTTP/1.1 request; returns status, the Set-Cookie value and the body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> (u16, Option<String>, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{cookie}\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let set_cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .map(|l| l["set-cookie:".len()..].trim().to_owned());
    (status, set_cookie, body.to_owned())
}

/// Signs in; returns `name=value` for the Cookie header.
pub async fn login(addr: SocketAddr, user: &str) -> String {
    let body = format!(r#"{{"username":"{user}","password":"{PASSWORD}"}}"#);
    let (status, cookie, _) = http(addr, "POST", "/api/login", None, &body).await;
    assert_eq!(status, 200);
    let cookie = cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    cookie.split(';').next().unwrap().to_owned()
}

pub async fn connect(
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(c) = cookie {
        request.headers_mut().insert("Cookie", c.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

pub struct Client<In, Out> {
    pub ws: Ws,
    seq: u64,
    _p: std::marker::PhantomData<(In, Out)>,
}

pub type Terminal = Client<HubToTerminal, TerminalToHub>;
pub type Lawyer = Client<HubToLawyer, LawyerToHub>;

impl<In: Message + std::fmt::Debug, Out: Message> Client<In, Out> {
    pub fn new(ws: Ws) -> Self {
        Client {
            ws,
            seq: 0,
            _p: std::marker::PhantomData,
        }
    }

    pub async fn send(&mut self, m: Out) {
        self.seq += 1;
        self.ws
            .send(WsMessage::Text(encode(self.seq, &m).into()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(WsMessage::Text(text.into())).await.unwrap();
    }

    /// The next hub message (None when the connection closed).
    pub async fn next(&mut self) -> Option<In> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time");
            match frame {
                Some(Ok(WsMessage::Text(t))) => {
                    return Some(decode::<In>(t.as_bytes()).unwrap().message);
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Skips messages until one matches.
    pub async fn until<T>(&mut self, what: &str, mut pick: impl FnMut(&In) -> Option<T>) -> T {
        loop {
            match self.next().await {
                Some(m) => {
                    if let Some(t) = pick(&m) {
                        return t;
                    }
                }
                None => panic!("connection closed while waiting for {what}"),
            }
        }
    }

    /// Reads until the connection closes; returns the messages seen.
    pub async fn until_closed(&mut self) -> Vec<In> {
        let mut seen = Vec::new();
        while let Some(m) = self.next().await {
            seen.push(m);
        }
        seen
    }
}

pub async fn terminal(addr: SocketAddr, id: &str) -> Terminal {
    let mut t = Terminal::new(connect(addr, "/ws/terminal", None).await.unwrap());
    t.send(TerminalToHub::Hello {
        terminal_id: id.into(),
        token: token(id),
        office: format!("Office {id}"),
        resume_token: None,
    })
    .await;
    t.until("welcome", |m| {
        matches!(m, HubToTerminal::Welcome { .. }).then_some(())
    })
    .await;
    t
}

pub async fn lawyer(addr: SocketAddr, user: &str) -> Lawyer {
    let cookie = login(addr, user).await;
    let mut l = Lawyer::new(connect(addr, "/ws/lawyer", Some(&cookie)).await.unwrap());
    l.until("welcome", |m| {
        matches!(m, HubToLawyer::Welcome { .. }).then_some(())
    })
    .await;
    l
}

pub async fn available(l: &mut Lawyer) {
    l.send(LawyerToHub::SetState {
        state: Availability::Available,
    })
    .await;
    l.until("available", |m| {
        matches!(
            m,
            HubToLawyer::State {
                state: LawyerState::Available
            }
        )
        .then_some(())
    })
    .await;
}

pub async fn request(t: &mut Terminal, topic: &str, name: &str) {
    t.send(TerminalToHub::RequestCall {
        topic: topic.into(),
        resident_name: name.into(),
        masked_id: Some("1101**********1234".into()),
        callback_phone: None,
    })
    .await;
}

pub async fn offer(l: &mut Lawyer) -> (CallId, ResidentInfo) {
    l.until("offer", |m| match m {
        HubToLawyer::Offer {
            call_id, resident, ..
        } => Some((call_id.clone(), resident.clone())),
        _ => None,
    })
    .await
}

/// Waits until the record of `call` is closed, and returns it.
pub async fn closed_record(hub: &TestHub, call: &CallId) -> hub::records::Record {
    let conn = hub::db::open_connection(&hub.config.server.database).unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(r) = hub::records::record(&conn, &call.0).unwrap()
            && r.ended_at.is_some()
        {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "record not closed in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Goes on duty without waiting for the state (a waiting call turns it
/// into `ringing` at once).
pub async fn go_on_duty(l: &mut Lawyer) {
    l.send(LawyerToHub::SetState {
        state: Availability::Available,
    })
    .await;
}
