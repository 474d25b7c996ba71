//! 视频咨询律师 as a resident lives it: the real terminal application
//! (headless, tapped through its buttons), the real hub, and the duty lawyer
//! in Chromium through the real console, with real media both ways.
//!
//! The terminal is pumped on the test's thread (see [`KioskTerminal`]); the
//! lawyer's steps run on a tokio runtime in between.

use kiosk::{ConsultEnded, ConsultStage, Page, PrintState, ReceiptAdapter};
use slint::ComponentHandle;
use system_tests::{
    Chromium, Hub, HubOptions, KioskTerminal, LawyerPage, MEDIA_WAIT, Result, WAIT,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The hub, Chromium, and the lawyer `wang` signed in and on duty.
fn lawyer_on_duty(
    rt: &tokio::runtime::Runtime,
    options: HubOptions,
) -> Result<(Hub, Chromium, LawyerPage)> {
    rt.block_on(async {
        let hub = Hub::start_with(options).await?;
        let chromium = Chromium::launch().await?;
        let lawyer = LawyerPage::open(chromium.new_page().await?, &hub).await?;
        let account = hub.lawyer("wang").clone();
        lawyer.sign_in(&account.username, &account.password).await?;
        lawyer.set_available().await?;
        Ok((hub, chromium, lawyer))
    })
}

/// The terminal asks for a labour lawyer as 张三 and the lawyer answers;
/// returns once media flows both ways.
fn answered_call(
    rt: &tokio::runtime::Runtime,
    t: &KioskTerminal,
    lawyer: &LawyerPage,
) -> Result<()> {
    t.wait_signed_in()?;
    t.ask_for_a_lawyer("劳动争议、讨薪", &["zhang", "san"], "11010519491231002X")?;
    assert_eq!(t.page(), Page::Consultation);
    let offer = rt.block_on(lawyer.wait_offer(WAIT))?;
    // The lawyer sees the name and only the masked number.
    assert_eq!(offer.resident_name.chars().count(), 2, "{offer:?}");
    assert_eq!(offer.masked_id, "110***********002X");
    t.pump_until("ringing", WAIT, |t| t.stage() == ConsultStage::Ringing)?;
    assert_eq!(t.consult().get_lawyer(), "王律师");
    rt.block_on(lawyer.accept())?;
    t.pump_until("the lawyer's picture on the terminal", MEDIA_WAIT, |t| {
        t.stage() == ConsultStage::InCall && t.consult().get_has_remote_video()
    })?;
    t.pump_until("pictures and sound from the lawyer", MEDIA_WAIT, |t| {
        let (shown, samples) = t.media_counts();
        shown >= 20 && samples >= 48_000
    })?;
    let stats = rt.block_on(lawyer.wait_media(20, 48_000))?;
    assert!(stats.frames_decoded >= 20, "{stats:?}");
    Ok(())
}

#[test]
fn a_resident_talks_with_the_duty_lawyer_and_takes_the_summary_home() -> Result<()> {
    let rt = runtime();
    let (hub, _chromium, lawyer) = lawyer_on_duty(&rt, HubOptions::default())?;
    let t = KioskTerminal::start(&hub, "t-0001")?;
    answered_call(&rt, &t, &lawyer)?;

    // In the call: the timer runs, the idle reset waits, the self-view shows.
    t.pump_until("the call timer", WAIT, |t| t.consult().get_talk_secs() >= 1)?;
    assert!(t.consult().get_media_up());
    assert!(t.consult().get_self_video().size().width > 0, "self-view");
    assert!(t.frames_decoded() >= 20);
    t.tap("静音")?;
    assert!(t.consult().get_muted());
    t.tap("打开麦克风")?;

    // The lawyer writes the summary and hangs up.
    rt.block_on(
        lawyer.submit_summary("单位拖欠三个月工资。", "先向劳动监察投诉，或申请劳动仲裁。"),
    )?;
    t.pump_until("the summary", WAIT, |t| t.consult().get_has_summary())?;
    rt.block_on(lawyer.hang_up())?;
    t.pump_until("the end of the call", WAIT, |t| {
        t.stage() == ConsultStage::Ended
    })?;
    assert_eq!(t.consult().get_ended(), ConsultEnded::LawyerHungUp);
    assert_eq!(
        t.consult().get_summary_advice(),
        "先向劳动监察投诉，或申请劳动仲裁。"
    );
    assert!(
        !t.kiosk.borrow().hub_link().unwrap().in_call(),
        "media stopped"
    );

    // 打印: the receipt preview (this terminal has no printer, and says so).
    t.tap("打印")?;
    assert_eq!(t.page(), Page::Receipt);
    assert_eq!(
        t.app.global::<ReceiptAdapter>().get_state(),
        PrintState::NoPrinter
    );
    t.tap("首页")?;
    assert_eq!(t.page(), Page::Home);
    assert_eq!(
        t.consult().get_summary_text(),
        "",
        "the summary is forgotten"
    );
    Ok(())
}

#[test]
fn the_resident_hanging_up_ends_the_call_on_both_sides() -> Result<()> {
    let rt = runtime();
    let (hub, _chromium, lawyer) = lawyer_on_duty(&rt, HubOptions::default())?;
    let t = KioskTerminal::start(&hub, "t-0001")?;
    answered_call(&rt, &t, &lawyer)?;
    t.tap("挂断")?;
    assert_eq!(t.stage(), ConsultStage::Ended);
    assert_eq!(t.consult().get_ended(), ConsultEnded::ResidentHungUp);
    rt.block_on(lawyer.wait_call_closed())?;
    Ok(())
}

#[test]
fn a_lawyer_who_closes_the_browser_mid_call_leaves_the_terminal_in_a_clear_state() -> Result<()> {
    let rt = runtime();
    let options = HubOptions {
        tweak: Box::new(|c| c.dispatch.resume_grace_secs = 3),
        ..HubOptions::default()
    };
    let (hub, chromium, lawyer) = lawyer_on_duty(&rt, options)?;
    let t = KioskTerminal::start(&hub, "t-0001")?;
    answered_call(&rt, &t, &lawyer)?;
    drop(lawyer);
    drop(chromium);
    t.pump_until("the call ended", MEDIA_WAIT, |t| {
        t.stage() == ConsultStage::Ended
    })?;
    let ended = t.consult().get_ended();
    assert!(
        matches!(
            ended,
            ConsultEnded::LawyerLost | ConsultEnded::ConnectionLost
        ),
        "{ended:?}"
    );
    // The way forward: call again, or finish.
    t.tap("再呼叫一次")?;
    t.pump_until("waiting again", WAIT, |t| {
        matches!(t.stage(), ConsultStage::Waiting | ConsultStage::Connecting)
    })?;
    t.tap("取消")?;
    assert_eq!(t.page(), Page::ConsultTopics);
    Ok(())
}

#[test]
fn with_no_lawyer_on_duty_the_resident_leaves_a_message_for_a_call_back() -> Result<()> {
    let rt = runtime();
    let hub = rt.block_on(Hub::start())?;
    let t = KioskTerminal::start(&hub, "t-0001")?;
    t.wait_signed_in()?;
    t.ask_for_a_lawyer("婚姻家庭", &["li", "si"], "11010519491231002X")?;
    t.pump_until("the suggestion to leave a message", WAIT, |t| {
        t.stage() == ConsultStage::Waiting && t.consult().get_nobody_on_duty()
    })?;
    t.tap("留言，请律师回电话")?;
    assert_eq!(t.stage(), ConsultStage::Message);
    t.type_keys("13800138000")?;
    t.tap("提交留言")?;
    t.pump_until("the message stored", WAIT, |t| {
        t.stage() == ConsultStage::MessageSent
    })?;
    assert!(t.consult().get_message_reference() > 0);
    assert_eq!(
        t.consult().get_message_phone(),
        "",
        "the number is not kept on screen"
    );
    Ok(())
}

#[test]
fn an_unreachable_hub_offers_the_hotline_instead_of_a_spinner() -> Result<()> {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let t = KioskTerminal::start_with(|c| {
        c.consultation.hub = format!("ws://127.0.0.1:{port}/ws/terminal");
        c.consultation.token = "0123456789abcdef0123".into();
    })?;
    t.ask_for_a_lawyer("交通事故", &["wang", "wu"], "11010519491231002X")?;
    t.pump_until("the hub unreachable", WAIT, |t| {
        t.stage() == ConsultStage::Unavailable
    })?;
    t.tap("再试一次")?;
    assert_eq!(t.stage(), ConsultStage::Unavailable);
    t.tap("完成")?;
    assert_eq!(t.page(), Page::Home);
    Ok(())
}

#[test]
fn a_second_terminal_waits_in_line_and_is_served_when_the_lawyer_is_free() -> Result<()> {
    use hub_protocol::HubToTerminal;
    let rt = runtime();
    let (hub, _chromium, lawyer) = lawyer_on_duty(&rt, HubOptions::default())?;
    let t = KioskTerminal::start(&hub, "t-0001")?;
    answered_call(&rt, &t, &lawyer)?;

    // Another resident, at another office, asks while the lawyer is busy.
    let mut second = rt.block_on(system_tests::TestTerminal::connect(&hub, "t-0002"))?;
    second.request_call("labor", "李四", None)?;
    let position = rt.block_on(second.until("queued", |m| match m {
        HubToTerminal::Queued { position, .. } => Some(*position),
        _ => None,
    }))?;
    assert_eq!(position, 1);

    // The first call ends; the lawyer is offered the waiting call and takes it.
    t.tap("挂断")?;
    rt.block_on(lawyer.wait_call_closed())?;
    let offer = rt.block_on(lawyer.wait_offer(WAIT))?;
    assert_eq!(offer.resident_name, "李四");
    rt.block_on(lawyer.accept())?;
    rt.block_on(second.until("accepted", |m| {
        matches!(m, HubToTerminal::Accepted { .. }).then_some(())
    }))?;
    Ok(())
}
