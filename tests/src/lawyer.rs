//! The lawyer's console in a Chromium tab, operated as a lawyer does it:
//! typing into the sign-in form, clicking 值班中, 接听, 挂断, filling the
//! summary. It relies on the console's stable ids / `data-testid`s and the
//! state attributes on `<body>` (`data-view`, `data-hub`,
//! `data-lawyer-state`, `data-call`), documented in `hub/console/README.md`.

use std::time::Duration;

use serde_json::Value;

use crate::chromium::Page;
use crate::hub::Hub;
use crate::{MEDIA_WAIT, Result, WAIT, fail};

/// What the offer card shows.
#[derive(Debug, Clone)]
pub struct OfferShown {
    pub topic: String,
    pub resident_name: String,
    pub masked_id: String,
    pub expiry: String,
}

/// The reduction of the page's `getStats()` (see `hub/console/js/call.js`).
#[derive(Debug, Clone, Default)]
pub struct MediaStats {
    pub frames_decoded: u64,
    pub frame_width: u64,
    pub frame_height: u64,
    pub video_packets_lost: i64,
    pub freeze_count: u64,
    pub total_samples_received: u64,
    pub concealed_samples: u64,
    pub audio_level: f64,
    pub rtt_ms: Option<f64>,
    pub dtls_cipher: Option<String>,
    pub srtp_cipher: Option<String>,
    pub grade: String,
    /// Everything, as the page returned it.
    pub raw: Value,
}

impl MediaStats {
    fn from_json(v: Value) -> MediaStats {
        let n = |p: &str| v.pointer(p).and_then(Value::as_f64).unwrap_or(0.0);
        MediaStats {
            frames_decoded: n("/video/framesDecoded") as u64,
            frame_width: n("/video/frameWidth") as u64,
            frame_height: n("/video/frameHeight") as u64,
            video_packets_lost: n("/video/packetsLost") as i64,
            freeze_count: n("/video/freezeCount") as u64,
            total_samples_received: n("/audio/totalSamplesReceived") as u64,
            concealed_samples: n("/audio/concealedSamples") as u64,
            audio_level: n("/audio/audioLevel"),
            rtt_ms: v.get("rttMs").and_then(Value::as_f64),
            dtls_cipher: v["dtlsCipher"].as_str().map(str::to_owned),
            srtp_cipher: v["srtpCipher"].as_str().map(str::to_owned),
            grade: v["grade"].as_str().unwrap_or_default().to_owned(),
            raw: v,
        }
    }
}

pub struct LawyerPage {
    pub page: Page,
}

impl LawyerPage {
    /// Opens the console of `hub` in `page`; waits for the sign-in form.
    pub async fn open(page: Page, hub: &Hub) -> Result<LawyerPage> {
        page.navigate(&hub.url("/")).await?;
        page.wait_until(
            "the sign-in form",
            WAIT,
            "document.body.dataset.view === 'login'",
        )
        .await?;
        Ok(LawyerPage { page })
    }

    /// Types username and password and clicks 登录; waits until the
    /// console is shown and its WebSocket is open.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<()> {
        self.page.fill("#login-username", username).await?;
        self.page.fill("#login-password", password).await?;
        self.page.click("#login-submit").await?;
        self.page
            .wait_until(
                "the console after signing in",
                WAIT,
                "document.body.dataset.view === 'console' && document.body.dataset.hub === 'open' \
                 || !!document.getElementById('login-error').textContent",
            )
            .await?;
        let error = self.page.text("#login-error").await?;
        if !error.is_empty() {
            return Err(fail!("sign-in refused: {error}"));
        }
        Ok(())
    }

    /// Clicks 值班中 and waits for the hub to confirm it: `available`, or
    /// directly `ringing` when a call was waiting.
    pub async fn set_available(&self) -> Result<()> {
        self.page.click("#btn-available").await?;
        self.page
            .wait_until(
                "lawyer state available (or ringing)",
                WAIT,
                "['available', 'ringing'].includes(document.body.dataset.lawyerState)",
            )
            .await
    }

    /// Clicks 暂离 and waits for `away`.
    pub async fn set_away(&self) -> Result<()> {
        self.page.click("#btn-away").await?;
        self.wait_state("away").await
    }

    /// Waits until the hub reports the lawyer `state`.
    pub async fn wait_state(&self, state: &str) -> Result<()> {
        self.page
            .wait_until(
                &format!("lawyer state {state}"),
                WAIT,
                &format!("document.body.dataset.lawyerState === '{state}'"),
            )
            .await
    }

    /// Waits for an offer to ring (within `timeout`) and reads the card.
    pub async fn wait_offer(&self, timeout: Duration) -> Result<OfferShown> {
        self.page
            .wait_until(
                "an offer ringing",
                timeout,
                "document.body.dataset.call === 'offered' && !document.getElementById('offer-card').hidden",
            )
            .await?;
        Ok(OfferShown {
            topic: self.page.text("#offer-topic").await?,
            resident_name: self.page.text("#offer-name").await?,
            masked_id: self.page.text("#offer-id").await?,
            expiry: self.page.text("#offer-expiry").await?,
        })
    }

    /// Clicks 接听.
    pub async fn accept(&self) -> Result<()> {
        self.page.click("#btn-accept").await
    }

    /// Clicks 拒绝.
    pub async fn decline(&self) -> Result<()> {
        self.page.click("#btn-decline").await
    }

    /// Waits until the peer connection is connected.
    pub async fn wait_connected(&self) -> Result<()> {
        self.page
            .wait_until(
                "the call connected in the console",
                MEDIA_WAIT,
                "document.body.dataset.call === 'connected'",
            )
            .await
    }

    /// A fresh `getStats()` of the current call.
    pub async fn media_stats(&self) -> Result<MediaStats> {
        let v = self.page.eval("window.lawyerConsole.sampleStats()").await?;
        if v.is_null() {
            return Err(fail!("no call in the console to read statistics from"));
        }
        Ok(MediaStats::from_json(v))
    }

    /// Waits until at least `frames` video frames were decoded and `samples`
    /// audio samples received; returns the stats then.
    pub async fn wait_media(&self, frames: u64, samples: u64) -> Result<MediaStats> {
        let deadline = std::time::Instant::now() + MEDIA_WAIT;
        loop {
            let s = self.media_stats().await?;
            if s.frames_decoded >= frames && s.total_samples_received >= samples {
                return Ok(s);
            }
            if std::time::Instant::now() >= deadline {
                return Err(fail!(
                    "media did not reach {frames} frames / {samples} samples within {MEDIA_WAIT:?}: {:?}\npage console:\n{}",
                    s.raw,
                    self.page.console_log().join("\n")
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Browser-side timings of the current call, in ms since the offer
    /// arrived: (connected, first frame rendered).
    pub async fn timings(&self) -> Result<(Option<f64>, Option<f64>)> {
        let t = self.page.eval("window.lawyerConsole.timings").await?;
        let offer = t["offerAt"].as_f64();
        let since = |k: &str| Some(t[k].as_f64()? - offer?);
        Ok((since("connectedAt"), since("firstFrameAt")))
    }

    /// Clicks 挂断 and waits until the console shows no call and has
    /// released the peer connection and local media.
    pub async fn hang_up(&self) -> Result<()> {
        self.page.click("#btn-hangup").await?;
        self.wait_call_closed().await
    }

    /// Waits until the console has no call (after 挂断 or `ended`). The
    /// next call may already be ringing: the hub offers a waiting call the
    /// moment the lawyer is free.
    pub async fn wait_call_closed(&self) -> Result<()> {
        self.page
            .wait_until(
                "the call closed in the console",
                WAIT,
                "['idle', 'offered'].includes(document.body.dataset.call) && document.getElementById('call-card').hidden \
                 && window.lawyerConsole.callId === null \
                 && document.getElementById('local-video').srcObject === null",
            )
            .await
    }

    /// Fills 小结 and 建议, clicks 提交小结 and waits for `summary_stored`.
    pub async fn submit_summary(&self, text: &str, advice: &str) -> Result<()> {
        self.page.fill("#summary-text", text).await?;
        self.page.fill("#summary-advice", advice).await?;
        self.page.click("#summary-submit").await?;
        self.page
            .wait_until(
                "the summary stored",
                WAIT,
                "document.getElementById('summary-card').dataset.stored === 'true'",
            )
            .await
    }

    /// The banner's text (empty when hidden).
    pub async fn banner(&self) -> Result<String> {
        let v = self
            .page
            .eval("document.getElementById('banner').hidden ? '' : document.getElementById('banner-text').textContent")
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }
}
