//! Debian's Chromium, headless, as the lawyer's browser.
//!
//! [`Chromium::launch`] starts `/usr/bin/chromium` (or `$CHROMIUM`) with a
//! fresh user-data-dir, fake camera and microphone, and the flags that
//! make WebRTC work on loopback (see `/work/shared/reference/webrtc.md`):
//! `--allow-loopback-in-peer-connection`, no mDNS candidates, autoplay
//! without a gesture. `--remote-debugging-port=0` lets Chromium pick the
//! port, read back from `DevToolsActivePort` in the profile. Its stderr
//! goes to `chromium.log` in the profile, quoted when start-up fails. The
//! process is killed and its profile deleted on drop.
//!
//! [`Page`] is one tab with its own DevTools connection: navigate,
//! evaluate (awaiting promises), wait for a condition, click and type
//! through real input events. Console messages and uncaught exceptions of
//! the page are collected for failure reports ([`Page::console_log`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cdp::Cdp;
use crate::{POLL, Result, WAIT, fail};

/// Where Debian installs it.
pub const DEFAULT_BINARY: &str = "/usr/bin/chromium";

pub struct Chromium {
    child: Child,
    profile: tempfile::TempDir,
    port: u16,
    browser: Cdp,
}

impl Chromium {
    /// The binary: `$CHROMIUM` if set, else `/usr/bin/chromium`.
    pub fn binary() -> Result<PathBuf> {
        let path = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_BINARY));
        Self::check_binary(path)
    }

    /// `path` if it is a file, else the error telling how to install it.
    pub fn check_binary(path: PathBuf) -> Result<PathBuf> {
        if path.is_file() {
            Ok(path)
        } else {
            Err(fail!(
                "Chromium not found at {}: the system tests need Debian's `chromium` package. \
                 Install it with `scripts/setup-system.sh` (or set CHROMIUM=/path/to/chromium).",
                path.display()
            ))
        }
    }

    /// The flags used, without the profile and port.
    pub fn flags() -> Vec<&'static str> {
        vec![
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--mute-audio",
            "--window-size=1280,960",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            // Timers and rendering of a hidden headless tab must not slow down.
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
        ]
    }

    pub async fn launch() -> Result<Chromium> {
        let binary = Self::binary()?;
        let profile = tempfile::Builder::new()
            .prefix("system-test-chromium-")
            .tempdir()
            .map_err(|e| fail!("temporary profile: {e}"))?;
        let log_path = profile.path().join("chromium.log");
        let log = std::fs::File::create(&log_path).map_err(|e| fail!("chromium.log: {e}"))?;
        let child = Command::new(&binary)
            .args(Self::flags())
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--remote-debugging-port=0")
            .arg("--remote-debugging-address=127.0.0.1")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| fail!("starting {}: {e}", binary.display()))?;
        let mut child = KillOnDrop(Some(child));
        let (port, path) = wait_for_devtools(child.0.as_mut().unwrap(), profile.path()).await?;
        let browser = Cdp::connect(&format!("ws://127.0.0.1:{port}{path}")).await?;
        Ok(Chromium {
            child: child.0.take().unwrap(),
            profile,
            port,
            browser,
        })
    }

    /// The last lines Chromium wrote to stderr.
    pub fn log_tail(&self) -> String {
        log_tail(self.profile.path())
    }

    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    pub fn devtools_port(&self) -> u16 {
        self.port
    }

    /// Opens a new tab on `about:blank`.
    pub async fn new_page(&self) -> Result<Page> {
        let target = self
            .browser
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let id = target["targetId"]
            .as_str()
            .ok_or_else(|| fail!("Target.createTarget returned no targetId: {target}"))?
            .to_owned();
        let cdp = Cdp::connect(&format!("ws://127.0.0.1:{}/devtools/page/{id}", self.port)).await?;
        Page::attach(cdp, id).await
    }
}

/// Kills a child that start-up gave up on.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn log_tail(profile: &Path) -> String {
    let text = std::fs::read_to_string(profile.join("chromium.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Reads `DevToolsActivePort` (port, then the browser's WebSocket path)
/// once Chromium has written it.
async fn wait_for_devtools(child: &mut Child, profile: &Path) -> Result<(u16, String)> {
    let file = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next())
                && let Ok(port) = port.trim().parse::<u16>()
            {
                return Ok((port, path.trim().to_owned()));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(fail!(
                "Chromium exited during start-up ({status}):\n{}",
                log_tail(profile)
            ));
        }
        if Instant::now() >= deadline {
            return Err(fail!(
                "Chromium wrote no DevToolsActivePort within {WAIT:?}:\n{}",
                log_tail(profile)
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Helper processes may still write into the profile for a moment
        // after the browser process is gone: retry removing it briefly.
        let dir = self.profile.path().to_owned();
        let deadline = Instant::now() + Duration::from_secs(3);
        while dir.exists() && Instant::now() < deadline {
            let _ = std::fs::remove_dir_all(&dir);
            if dir.exists() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// One tab.
pub struct Page {
    cdp: Arc<Cdp>,
    pub target_id: String,
    log: Arc<Mutex<Vec<String>>>,
    collector: tokio::task::JoinHandle<()>,
}

impl Page {
    async fn attach(cdp: Cdp, target_id: String) -> Result<Page> {
        let cdp = Arc::new(cdp);
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let mut events = cdp.events();
        let collector = {
            let log = log.clone();
            tokio::spawn(async move {
                while let Ok((method, params)) = events.recv().await {
                    let line = match method.as_str() {
                        "Runtime.consoleAPICalled" => {
                            let args: Vec<String> = params["args"]
                                .as_array()
                                .map(|a| {
                                    a.iter()
                                        .map(|x| {
                                            x.get("value")
                                                .map(|v| v.to_string())
                                                .or_else(|| {
                                                    x["description"].as_str().map(str::to_owned)
                                                })
                                                .unwrap_or_default()
                                        })
                                        .collect()
                                })
                                .unwrap_or_default();
                            format!(
                                "console.{}: {}",
                                params["type"].as_str().unwrap_or("?"),
                                args.join(" ")
                            )
                        }
                        "Runtime.exceptionThrown" => format!(
                            "exception: {}",
                            params["exceptionDetails"]["exception"]["description"]
                                .as_str()
                                .or(params["exceptionDetails"]["text"].as_str())
                                .unwrap_or("?")
                        ),
                        "Log.entryAdded" => format!(
                            "log.{}: {}",
                            params["entry"]["level"].as_str().unwrap_or("?"),
                            params["entry"]["text"].as_str().unwrap_or("")
                        ),
                        _ => continue,
                    };
                    log.lock().unwrap().push(line);
                }
            })
        };
        cdp.call("Runtime.enable", json!({})).await?;
        cdp.call("Page.enable", json!({})).await?;
        cdp.call("Log.enable", json!({})).await?;
        Ok(Page {
            cdp,
            target_id,
            log,
            collector,
        })
    }

    /// The raw DevTools connection of this tab.
    pub fn cdp(&self) -> &Cdp {
        &self.cdp
    }

    /// Console messages, exceptions and log entries seen so far.
    pub fn console_log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Loads `url` and waits until the document is complete.
    pub async fn navigate(&self, url: &str) -> Result<()> {
        let r = self
            .cdp
            .call("Page.navigate", json!({ "url": url }))
            .await?;
        if let Some(e) = r.get("errorText").and_then(Value::as_str) {
            return Err(fail!("navigating to {url}: {e}"));
        }
        self.wait_until(
            &format!("{url} loaded"),
            WAIT,
            "document.readyState === 'complete' && location.href !== 'about:blank'",
        )
        .await
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns
    /// its value as JSON.
    pub async fn eval(&self, expression: &str) -> Result<Value> {
        let r = self
            .cdp
            .call(
                "Runtime.evaluate",
                json!({
                    "expression": expression,
                    "awaitPromise": true,
                    "returnByValue": true,
                    "userGesture": true,
                }),
            )
            .await?;
        if let Some(details) = r.get("exceptionDetails") {
            let text = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("exception");
            return Err(fail!("evaluating `{expression}`: {text}"));
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Polls `expression` until it is truthy.
    pub async fn wait_until(&self, what: &str, timeout: Duration, expression: &str) -> Result<()> {
        self.wait_for_value(what, timeout, expression)
            .await
            .map(|_| ())
    }

    /// Polls `expression` until its value is truthy and returns that value.
    /// On time-out the error quotes the page's console log.
    pub async fn wait_for_value(
        &self,
        what: &str,
        timeout: Duration,
        expression: &str,
    ) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.eval(expression).await {
                Ok(v) if truthy(&v) => return Ok(v),
                Ok(v) => format!("last value {v}"),
                // Between documents there is briefly no context to evaluate in.
                Err(e) => e.0,
            };
            if Instant::now() >= deadline {
                let state = self
                    .eval(PAGE_STATE)
                    .await
                    .map(|v| v.to_string())
                    .unwrap_or_else(|e| e.0);
                return Err(fail!(
                    "timed out after {timeout:?} waiting for {what} ({last})\npage state: {state}\npage console:\n{}",
                    self.console_log().join("\n")
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the element is visible and enabled, then clicks its
    /// centre with real mouse events.
    pub async fn click(&self, selector: &str) -> Result<()> {
        let sel = serde_json::to_string(selector).unwrap();
        let point = self
            .wait_for_value(
                &format!("{selector} clickable"),
                WAIT,
                &format!(
                    "(() => {{ const e = document.querySelector({sel});
                       if (!e || e.disabled || e.closest('[hidden]')) return null;
                       e.scrollIntoView({{block: 'center'}});
                       const r = e.getBoundingClientRect();
                       if (r.width === 0 || r.height === 0) return null;
                       return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})()"
                ),
            )
            .await?;
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.cdp
                .call(
                    "Input.dispatchMouseEvent",
                    json!({
                        "type": kind, "x": point["x"], "y": point["y"],
                        "button": "left", "clickCount": 1,
                    }),
                )
                .await?;
        }
        Ok(())
    }

    /// Focuses an input or textarea, clears it and types `text` (as
    /// committed text input, which also covers Chinese).
    pub async fn fill(&self, selector: &str, text: &str) -> Result<()> {
        let sel = serde_json::to_string(selector).unwrap();
        self.wait_until(
            &format!("{selector} editable"),
            WAIT,
            &format!(
                "(() => {{ const e = document.querySelector({sel});
                   if (!e || e.disabled || e.closest('[hidden]')) return false;
                   e.focus(); e.select && e.select(); return document.activeElement === e; }})()"
            ),
        )
        .await?;
        self.cdp
            .call("Input.insertText", json!({ "text": text }))
            .await?;
        let value = self
            .eval(&format!("document.querySelector({sel}).value"))
            .await?;
        if value.as_str() != Some(text) {
            return Err(fail!("typing into {selector}: the field holds {value}"));
        }
        Ok(())
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        use base64::Engine;
        let r = self
            .cdp
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap_or_default())
            .map_err(|e| fail!("screenshot data: {e}"))?;
        std::fs::write(path, data).map_err(|e| fail!("writing {}: {e}", path.display()))
    }

    /// Saves a screenshot named `name.png` into `$SYSTEM_TEST_SCREENSHOTS`
    /// when that variable names a folder; does nothing otherwise.
    pub async fn snapshot(&self, name: &str) -> Result<()> {
        match std::env::var_os("SYSTEM_TEST_SCREENSHOTS") {
            Some(dir) => {
                self.screenshot(&Path::new(&dir).join(format!("{name}.png")))
                    .await
            }
            None => Ok(()),
        }
    }

    /// The text of an element (`textContent`, trimmed).
    pub async fn text(&self, selector: &str) -> Result<String> {
        let sel = serde_json::to_string(selector).unwrap();
        let v = self
            .eval(&format!(
                "(document.querySelector({sel})?.textContent ?? '').trim()"
            ))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.collector.abort();
    }
}

/// What a failure report shows of the page: URL, `<body>` data
/// attributes, visible alerts and banners.
const PAGE_STATE: &str = "({url: location.href, body: {...(document.body?.dataset ?? {})}, \
    messages: window.lawyerConsole?.recentMessages?.join(' '), \
    alerts: [...document.querySelectorAll('[role=alert],[role=status]')] \
      .filter(e => !e.closest('[hidden]') && e.textContent.trim()).map(e => e.textContent.trim())})";

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_names_the_setup_script() {
        let e = Chromium::check_binary(PathBuf::from("/nonexistent/chromium")).unwrap_err();
        assert!(e.0.contains("scripts/setup-system.sh"), "{e}");
        assert!(e.0.contains("/nonexistent/chromium"), "{e}");
    }
}
