//! Printing an article's receipt, as a resident would, on the simulated
//! printer (a pseudo-terminal, the real driver, the SQLite print queue).

use crate::common;

use common::{Terminal, terminal_with_devices};
use kiosk::{Page, PrintProblem, PrintState, ReceiptAdapter, StatusKind};
use kiosk_core::{UnprintedPolicy, config::DevicePort};
use kiosk_printer_sim::PaperState;
use slint::ComponentHandle;

fn adapter(t: &Terminal) -> ReceiptAdapter<'_> {
    t.app.global::<ReceiptAdapter>()
}

fn state(t: &Terminal) -> PrintState {
    adapter(t).get_state()
}

fn printer_ready(t: &Terminal) {
    t.pump_until("the printer to be ready", |t| {
        t.status_kinds().contains(&StatusKind::PrinterOk)
    });
}

/// Article → 打印 → the preview is drawn.
fn open_preview(t: &Terminal) -> String {
    let article = t.open_first_article("婚姻家庭");
    t.tap("打印");
    assert_eq!(t.page(), Page::Receipt);
    t.pump_until("the preview", |t| adapter(t).get_preview().size().width > 0);
    article.title.to_string()
}

fn printed(t: &Terminal) -> Vec<kiosk_printer_sim::PrintedReceipt> {
    t.controls
        .printer
        .as_ref()
        .expect("simulated printer")
        .receipts()
}

/// The first `n` receipts out of the printer (the driver may report done a
/// moment before the printer has cut).
fn wait_printed(t: &Terminal, n: usize) -> Vec<kiosk_printer_sim::PrintedReceipt> {
    let receipts = t
        .controls
        .printer
        .as_ref()
        .expect("simulated printer")
        .wait_for_receipts(n, std::time::Duration::from_secs(20));
    assert_eq!(receipts.len(), n, "receipts out of the printer");
    receipts
}

#[test]
fn an_article_receipt_is_previewed_then_printed_with_its_title_hotline_and_reference() {
    let t = terminal_with_devices(|_| {});
    printer_ready(&t);
    let title = open_preview(&t);
    let preview = adapter(&t).get_preview().size();
    assert_eq!(
        preview.width, 576,
        "the preview is the 80 mm paper, dot for dot"
    );
    assert!(preview.height > 600, "the whole receipt is drawn");
    assert_eq!(state(&t), PrintState::Preview);
    t.tap("打印");
    t.pump_until("the receipt to print", |t| state(t) == PrintState::Printed);
    let receipts = wait_printed(&t, 1);
    let text = &receipts[0].transcript;
    assert!(text.contains(&title), "{text}");
    assert!(text.contains("12348"), "{text}");
    assert!(text.contains(&*adapter(&t).get_reference()), "{text}");
    assert!(text.contains("[QR"), "{text}");
    assert!(text.contains("[CUT"), "{text}");
}

#[test]
fn a_receipt_never_carries_an_id_number() {
    let t = terminal_with_devices(|_| {});
    printer_ready(&t);
    open_preview(&t);
    t.tap("打印");
    t.pump_until("the receipt to print", |t| state(t) == PrintState::Printed);
    let text = &wait_printed(&t, 1)[0].transcript;
    let digits_run = text
        .split(|c: char| !c.is_ascii_digit() && c != 'X')
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(digits_run < 15, "a long number is printed: {text}");
}

#[test]
fn paper_out_keeps_the_receipt_and_it_prints_when_paper_is_back() {
    let t = terminal_with_devices(|_| {});
    printer_ready(&t);
    open_preview(&t);
    let printer = t.controls.printer.clone().unwrap();
    printer.set_paper(PaperState::Out);
    t.tap("打印");
    t.pump_until(
        "the paper-out report on the screen and in the header",
        |t| {
            state(t) == PrintState::Waiting
                && t.status_kinds().contains(&StatusKind::PrinterPaperOut)
        },
    );
    assert_eq!(adapter(&t).get_problem(), PrintProblem::PaperOut);
    t.find("不打印了");
    assert!(printed(&t).is_empty());
    printer.set_paper(PaperState::Ok);
    t.pump_until("the retry after paper is back", |t| {
        state(t) == PrintState::Printed && t.status_kinds().contains(&StatusKind::PrinterOk)
    });
    wait_printed(&t, 1);
}

#[test]
fn a_waiting_receipt_is_cancelled_when_the_resident_leaves_if_so_configured() {
    let t =
        terminal_with_devices(|c| c.printer.unprinted_when_session_ends = UnprintedPolicy::Cancel);
    printer_ready(&t);
    open_preview(&t);
    let printer = t.controls.printer.clone().unwrap();
    printer.set_cover_open(true);
    t.tap("打印");
    t.pump_until("the cover-open report", |t| state(t) == PrintState::Waiting);
    assert_eq!(adapter(&t).get_problem(), PrintProblem::CoverOpen);
    let later = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    t.kiosk.borrow_mut().tick(later);
    assert_eq!(t.page(), Page::Home);
    printer.set_cover_open(false);
    // Two retry periods of the print service: nothing may come out.
    t.pump_until("the printer to be fine again", |t| {
        t.status_kinds().contains(&StatusKind::PrinterOk)
    });
    let until = std::time::Instant::now() + std::time::Duration::from_secs(7);
    t.pump_until("time to pass", |_| std::time::Instant::now() > until);
    assert!(printed(&t).is_empty(), "a cancelled receipt was printed");
}

#[test]
fn the_resident_can_cancel_a_waiting_receipt() {
    let t = terminal_with_devices(|c| {
        c.printer.unprinted_when_session_ends = UnprintedPolicy::PrintLater
    });
    printer_ready(&t);
    open_preview(&t);
    t.controls.printer.as_ref().unwrap().unplug();
    t.tap("打印");
    t.pump_until("the disconnected report", |t| {
        state(t) == PrintState::Waiting
    });
    assert_eq!(adapter(&t).get_problem(), PrintProblem::Disconnected);
    t.find("打印机没有连接。回执已经保存，打印机恢复后会自动打出来。请联系工作人员。");
    t.tap("不打印了");
    t.pump_until("the cancellation", |t| state(t) == PrintState::Cancelled);
    t.controls.printer.as_ref().unwrap().replug();
    t.pump_until("the printer to come back", |t| {
        t.status_kinds().contains(&StatusKind::PrinterOk)
    });
    assert!(printed(&t).is_empty());
}

#[test]
fn a_terminal_without_a_printer_says_so_instead_of_printing() {
    let t = terminal_with_devices(|c| {
        c.printer.port = "none".into();
        c.idcard.port = "none".into();
    });
    assert_eq!(t.config.printer.device(), DevicePort::Absent);
    open_preview(&t);
    t.tap("打印");
    t.pump_until("the no-printer answer", |t| {
        state(t) == PrintState::NoPrinter
    });
    t.find("本机没有连接打印机，不能打印。您可以拍下屏幕上的回执，或请工作人员帮忙。");
}
