//! In the running terminal, device events reach the screen through Slint's
//! event loop (as `kiosk run` wires them): a card placed on the simulated
//! reader shows on the identification screen without anyone pumping events
//! by hand, and a receipt prints.

use crate::common;

use std::time::{Duration, Instant};

use kiosk::{IdentifyAdapter, IdentifyStep, PrintState, ReceiptAdapter};
use slint::ComponentHandle;

/// Lets the event loop run for a moment.
async fn pause(ms: u64) {
    let (tx, rx) = futures_channel::oneshot::channel();
    slint::Timer::single_shot(Duration::from_millis(ms), move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Waits on the event loop until `done`, at most 20 s.
async fn until(done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        pause(20).await;
    }
    true
}

#[test]
fn device_events_reach_the_screen_through_the_event_loop() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let t = common::terminal_with_config(|_| {});
    kiosk::controller::attach_devices(&t.kiosk, &t.config).expect("devices attached");
    let reader = t
        .kiosk
        .borrow()
        .devices()
        .and_then(|d| d.simulators.as_ref())
        .and_then(|s| s.controls().reader)
        .expect("simulated reader");
    let outcome = std::rc::Rc::new(std::cell::RefCell::new(None));
    let result = outcome.clone();
    slint::spawn_local(async move {
        let ready =
            until(|| t.kiosk.borrow().reader_ready() && t.kiosk.borrow().printer_ready()).await;
        t.tap("身份核验");
        reader.place_card(&kiosk_idcard_sim::samples::by_key("resident").unwrap());
        let identified =
            until(|| t.app.global::<IdentifyAdapter>().get_step() == IdentifyStep::Identified)
                .await;
        t.tap("首页");
        t.open_first_article("继承");
        t.tap("打印");
        let previewed = until(|| t.kiosk.borrow().receipt_prepared()).await;
        t.tap("打印");
        let printed =
            until(|| t.app.global::<ReceiptAdapter>().get_state() == PrintState::Printed).await;
        *result.borrow_mut() = Some((ready, identified, previewed, printed));
        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop_until_quit().unwrap();
    assert_eq!(
        outcome.borrow().clone(),
        Some((true, true, true, true)),
        "(devices ready, card shown, preview drawn, receipt printed)"
    );
}
