//! A whole video consultation: a terminal (kiosk-call + hub-protocol) asks
//! for a labour lawyer, the real hub queues and offers the call, the duty
//! lawyer answers in Chromium through the real console, media flows both
//! ways, the lawyer hangs up and writes the summary, which reaches the
//! terminal.

use std::time::Instant;

use hub_protocol::{EndReason, HubToTerminal};
use kiosk_call::CallEvent;
use system_tests::{Chromium, Hub, LawyerPage, MEDIA_WAIT, Result, TestTerminal, WAIT, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terminal_to_console_call_with_media_both_ways_and_summary() -> Result<()> {
    let hub = Hub::start().await?;
    let chromium = Chromium::launch().await?;
    let lawyer = LawyerPage::open(chromium.new_page().await?, &hub).await?;
    let account = hub.lawyer("wang").clone();

    // The lawyer signs in (away at first).
    lawyer.sign_in(&account.username, &account.password).await?;
    assert_eq!(lawyer.page.text("#lawyer-name").await?, "王律师");
    lawyer.wait_state("away").await?;

    // A resident at a terminal asks for a labour lawyer: nobody is on duty,
    // so the call is queued.
    let mut terminal = TestTerminal::connect(&hub, "t-0001").await?;
    terminal.request_call("labor", "张三", Some("1101**********1234"))?;
    let call_id = terminal
        .until("queued", |m| match m {
            HubToTerminal::Queued { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .await?;
    // The console's queue shows it, without the resident's details.
    let row = lawyer
        .page
        .wait_for_value(
            "the call in the console's queue",
            WAIT,
            &format!(
                "document.querySelector('#queue-body tr[data-call-id=\"{call_id}\"]')?.textContent"
            ),
        )
        .await?;
    let row = row.as_str().unwrap_or_default();
    assert!(
        row.contains("劳动争议") && row.contains("城关镇司法所"),
        "{row}"
    );
    assert!(
        !row.contains("张三") && !row.contains("1234"),
        "resident shown before the offer: {row}"
    );

    // The lawyer goes on duty and is offered the call.
    lawyer.set_available().await?;
    // The console rings with the resident's details.
    let offer = lawyer.wait_offer(WAIT).await?;
    lawyer.page.snapshot("console-offer").await?;
    assert_eq!(offer.topic, "劳动争议");
    assert_eq!(offer.resident_name, "张三");
    assert_eq!(offer.masked_id, "1101**********1234");
    assert!(offer.expiry.contains("秒内接听"), "{offer:?}");
    terminal
        .until("ringing", |m| {
            matches!(m, HubToTerminal::Ringing { call_id: c, .. } if *c == call_id).then_some(())
        })
        .await?;

    // 接听: the terminal is told, and offers.
    lawyer.accept().await?;
    let ice_servers = terminal
        .until("accepted", |m| match m {
            HubToTerminal::Accepted {
                call_id: c,
                ice_servers,
                lawyer_display_name,
            } if *c == call_id => {
                assert_eq!(lawyer_display_name, "王律师");
                Some(ice_servers.clone())
            }
            _ => None,
        })
        .await?;
    let call = terminal.start_call(call_id.clone(), &ice_servers).await?;
    let offered = Instant::now();

    terminal
        .call_event("terminal connected", MEDIA_WAIT, |e| {
            matches!(e, CallEvent::Connected).then_some(())
        })
        .await?;
    let connected = offered.elapsed();
    let (width, height) = terminal
        .call_event(
            "the lawyer's first video frame at the terminal",
            MEDIA_WAIT,
            |e| match e {
                CallEvent::RemoteVideoStarted { width, height } => Some((*width, *height)),
                _ => None,
            },
        )
        .await?;
    let first_frame = offered.elapsed();
    assert!(width > 0 && height > 0);
    lawyer.wait_connected().await?;

    // Media both ways, well above zero: Chromium's getStats ...
    let stats = lawyer.wait_media(90, 96_000).await?;
    assert!(stats.frame_width > 0, "{:?}", stats.raw);
    assert!(stats.srtp_cipher.is_some(), "no SRTP: {:?}", stats.raw);
    // ... and kiosk-call's own decoders.
    let kiosk =
        eventually(
            "the terminal to decode the lawyer's media",
            MEDIA_WAIT,
            || {
                let s = call.stats();
                async move {
                    Ok((s.frames_decoded >= 90 && s.audio_samples_decoded >= 96_000).then_some(s))
                }
            },
        )
        .await?;
    assert_eq!(kiosk.decode_errors, 0, "{kiosk:?}");
    let (browser_connected, browser_first_frame) = lawyer.timings().await?;
    eprintln!(
        "timings: terminal offer → connected {connected:?}, → first lawyer frame decoded {first_frame:?}; \
         browser offer → connected {browser_connected:?} ms, → first frame rendered {browser_first_frame:?} ms"
    );
    eprintln!(
        "browser: {} frames {}x{}, {} audio samples, rtt {:?} ms, grade {}; terminal: {} frames, {} samples",
        stats.frames_decoded,
        stats.frame_width,
        stats.frame_height,
        stats.total_samples_received,
        stats.rtt_ms,
        stats.grade,
        kiosk.frames_decoded,
        kiosk.audio_samples_decoded
    );

    lawyer.page.snapshot("console-call").await?;
    // The timer runs and the quality indicator shows a grade.
    let timer = lawyer.page.text("#call-timer").await?;
    assert_ne!(timer, "00:00");
    lawyer
        .page
        .wait_until(
            "a quality grade",
            WAIT,
            "['good','fair','poor'].includes(document.getElementById('call-quality').dataset.grade)",
        )
        .await?;

    // 挂断 in the console ends the call on both sides.
    lawyer.hang_up().await?;
    let reason = terminal
        .until("ended", |m| match m {
            HubToTerminal::Ended { call_id: c, reason } if *c == call_id => Some(*reason),
            _ => None,
        })
        .await?;
    assert_eq!(reason, EndReason::HungUpByLawyer);
    let left = terminal.end_media().await?;
    assert_eq!(left, 0, "call threads still running after hang-up");
    assert_eq!(
        lawyer.page.eval("window.lawyerConsole.callId").await?,
        serde_json::Value::Null
    );

    // The summary, written after the call, reaches the terminal.
    let text = "群众咨询被拖欠工资问题，单位拖欠三个月工资。";
    let advice = "建议先与单位协商，协商不成可向劳动监察大队投诉或申请劳动仲裁。";
    lawyer.submit_summary(text, advice).await?;
    lawyer.page.snapshot("console-summary").await?;
    let (got_text, got_advice) = terminal
        .until("summary", |m| match m {
            HubToTerminal::Summary {
                call_id: c,
                text,
                advice,
            } if *c == call_id => Some((text.clone(), advice.clone())),
            _ => None,
        })
        .await?;
    assert_eq!((got_text.as_str(), got_advice.as_str()), (text, advice));

    // The lawyer is back on duty after the call.
    lawyer.wait_state("available").await?;
    let errors: Vec<String> = lawyer
        .page
        .console_log()
        .into_iter()
        .filter(|l| l.starts_with("exception"))
        .collect();
    assert!(errors.is_empty(), "page exceptions: {errors:?}");
    Ok(())
}
