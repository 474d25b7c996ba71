//! The console under the less happy paths: an ICE-restart offer from the
//! terminal in the middle of a call, and a second console signing in to
//! the same account.

use std::time::Duration;

use hub_protocol::HubToTerminal;
use kiosk_call::CallEvent;
use system_tests::{Chromium, Hub, LawyerPage, MEDIA_WAIT, Result, TestTerminal, WAIT, eventually};

/// Signs the lawyer in, puts a call through and waits until it is connected.
async fn connected_call(hub: &Hub, lawyer: &LawyerPage) -> Result<TestTerminal> {
    let account = hub.lawyer("wang").clone();
    lawyer.sign_in(&account.username, &account.password).await?;
    lawyer.set_available().await?;
    let mut terminal = TestTerminal::connect(hub, "t-0002").await?;
    terminal.request_call("family", "李四", Some("3301**********5678"))?;
    lawyer.wait_offer(WAIT).await?;
    lawyer.accept().await?;
    let (call_id, ice) = terminal
        .until("accepted", |m| match m {
            HubToTerminal::Accepted {
                call_id,
                ice_servers,
                ..
            } => Some((call_id.clone(), ice_servers.clone())),
            _ => None,
        })
        .await?;
    terminal.start_call(call_id, &ice).await?;
    terminal
        .call_event("connected", MEDIA_WAIT, |e| {
            matches!(e, CallEvent::Connected).then_some(())
        })
        .await?;
    lawyer.wait_connected().await?;
    Ok(terminal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ice_restart_offer_is_answered_and_media_goes_on() -> Result<()> {
    let hub = Hub::start().await?;
    let chromium = Chromium::launch().await?;
    let lawyer = LawyerPage::open(chromium.new_page().await?, &hub).await?;
    let terminal = connected_call(&hub, &lawyer).await?;
    let before = lawyer.wait_media(30, 48_000).await?;
    let call = terminal.call().expect("a call");
    let kiosk_before = call.stats().frames_decoded;

    assert_eq!(
        lawyer.page.eval("window.lawyerConsole.answersSent").await?,
        1
    );
    terminal.restart_ice().await?;
    // The console answers the new offer (a second answer goes out) ...
    lawyer
        .page
        .wait_until(
            "the console's answer to the restart offer",
            WAIT,
            "window.lawyerConsole.answersSent === 2",
        )
        .await?;
    // ... and media keeps flowing both ways afterwards.
    let after = lawyer
        .wait_media(
            before.frames_decoded + 60,
            before.total_samples_received + 48_000,
        )
        .await?;
    eventually("the terminal to keep decoding", MEDIA_WAIT, || {
        let n = call.stats().frames_decoded;
        async move { Ok((n >= kiosk_before + 60).then_some(())) }
    })
    .await?;
    assert_eq!(
        lawyer.page.eval("document.body.dataset.call").await?,
        "connected",
        "{:?}",
        after.raw
    );
    lawyer.hang_up().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_console_replaces_the_first_with_a_clear_message() -> Result<()> {
    let hub = Hub::start().await?;
    let chromium = Chromium::launch().await?;
    let first = LawyerPage::open(chromium.new_page().await?, &hub).await?;
    let account = hub.lawyer("wang").clone();
    first.sign_in(&account.username, &account.password).await?;

    // Same browser profile, so the same session: the second tab goes
    // straight into the console and takes the account over.
    let second = chromium.new_page().await?;
    second.navigate(&hub.url("/")).await?;
    second
        .wait_until(
            "the second console connected",
            WAIT,
            "document.body.dataset.view === 'console' && document.body.dataset.hub === 'open'",
        )
        .await?;
    first
        .page
        .wait_until(
            "the first console told it was replaced",
            WAIT,
            "document.body.dataset.hub === 'closed' \
             && document.getElementById('banner-text').textContent.includes('其他窗口或设备')",
        )
        .await?;
    // It does not fight back by reconnecting on its own: after longer than
    // the first reconnect back-off (1 s ± 25 %), both are as they were.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(second.eval("document.body.dataset.hub").await?, "open");
    assert_eq!(
        first.page.eval("document.body.dataset.hub").await?,
        "closed"
    );
    Ok(())
}
