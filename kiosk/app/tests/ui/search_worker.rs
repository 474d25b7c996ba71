//! In the running terminal, the keyboard's dictionary loads when search is
//! first opened, searching happens on a worker thread, and results arrive
//! through the event loop; typing fast still ends with the results of the
//! last query.

use crate::common;

use std::time::{Duration, Instant};

use kiosk::SearchAdapter;
use slint::{ComponentHandle, Model};

/// Lets the event loop run for a moment.
async fn pause(ms: u64) {
    let (tx, rx) = futures_channel::oneshot::channel();
    slint::Timer::single_shot(Duration::from_millis(ms), move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

#[test]
fn results_from_the_search_thread_reach_the_screen_and_match_the_last_query() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let t = common::terminal_on_current_backend();
    t.kiosk.borrow_mut().search_in_background();
    let outcome = std::rc::Rc::new(std::cell::RefCell::new(None));
    let result = outcome.clone();
    slint::spawn_local(async move {
        t.tap("搜一搜");
        // The dictionary loads when search is first opened; letters typed
        // before it arrives are not composed.
        let keyboard_ready = {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                t.tap("g");
                if !t.app.global::<SearchAdapter>().get_composing().is_empty()
                    || Instant::now() > deadline
                {
                    break !t.app.global::<SearchAdapter>().get_composing().is_empty();
                }
                pause(20).await;
            }
        };
        t.tap("清空");
        // Typed quickly: intermediate queries may be skipped.
        t.type_keys("gongzi");
        let search = t.app.global::<SearchAdapter>();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            pause(20).await;
            let titles: Vec<String> = search
                .get_hits()
                .iter()
                .map(|h| h.title_text.to_string())
                .collect();
            if search.get_searched() && titles.iter().any(|t| t.contains("工资")) {
                break;
            }
        }
        let titles: Vec<String> = search
            .get_hits()
            .iter()
            .map(|h| h.title_text.to_string())
            .collect();
        // Clearing empties the screen at once and stays empty after any
        // answer still in flight.
        t.tap("清空");
        let cleared_at_once = search.get_hits().row_count() == 0;
        pause(300).await;
        *result.borrow_mut() = Some((
            keyboard_ready,
            titles,
            cleared_at_once,
            search.get_hits().row_count(),
        ));
        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop_until_quit().unwrap();
    let (keyboard_ready, titles, cleared_at_once, after) =
        outcome.borrow_mut().take().expect("the test ran");
    assert!(
        keyboard_ready,
        "the dictionary arrived after search was opened"
    );
    assert!(
        titles.iter().any(|t| t.contains("工资")),
        "gongzi → 工资: {titles:?}"
    );
    assert!(cleared_at_once);
    assert_eq!(after, 0);
}
