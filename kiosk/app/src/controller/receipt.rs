//! The receipt on screen: 打印 on an article opens its preview (rendered
//! by the print service from the bytes the printer will get), 打印 queues
//! it, and the print service's reports say what became of it.

use std::time::Instant;

use kiosk_core::{Screen, UnprintedPolicy};
use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer, SharedString};

use super::{Kiosk, SharedKiosk, handler};
use crate::printing::receipts::ArticleReceipt;
use crate::printing::service::{JobProgress, PrintRequest, PrintUpdate, Ticket, Trouble};
use crate::{App, PrintProblem, PrintState, ReceiptAdapter};

/// The receipt the resident is looking at.
pub(super) struct ReceiptView {
    ticket: Ticket,
    reference: String,
    preview: Option<Image>,
    job: Option<i64>,
    state: PrintState,
    problem: PrintProblem,
}

impl Kiosk {
    /// 打印 on an article page.
    pub fn print_article(&mut self, now: Instant) {
        self.tap(now);
        let Screen::Article { id } = self.session.screen().clone() else {
            return;
        };
        let Some(content) = self.content.library() else {
            return;
        };
        let printed_at = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
        let office = self.office_name.clone();
        let mut gathered = None;
        self.with_app(|app| {
            gathered = ArticleReceipt::gather(app, &content, &id, &office, &printed_at);
        });
        let Some(receipt) = gathered else {
            return;
        };
        self.show_receipt(
            Screen::ArticleReceipt { id: id.clone() },
            "article",
            format!("article {id}"),
            Box::new(move |reference| receipt.build(reference)),
        );
    }

    /// Opens `screen` with the preview of a receipt that `build` makes once
    /// the print service has chosen its reference number.
    pub(super) fn show_receipt(
        &mut self,
        screen: Screen,
        kind: &'static str,
        title: String,
        build: crate::printing::service::ReceiptBuilder,
    ) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.receipt = Some(ReceiptView {
            ticket,
            reference: String::new(),
            preview: None,
            job: None,
            state: PrintState::Preview,
            problem: PrintProblem::None,
        });
        self.session.open(screen);
        match self.devices.as_ref().and_then(|d| d.printer.as_ref()) {
            Some(printer) => printer.send(PrintRequest::Prepare {
                ticket,
                kind,
                title,
                build,
            }),
            None => {
                if let Some(view) = self.receipt.as_mut() {
                    view.state = PrintState::NoPrinter;
                }
            }
        }
        self.render_screen();
    }

    /// 打印 / 再打印一张 on the preview.
    pub fn receipt_print(&mut self, now: Instant) {
        self.tap(now);
        let session = self.session_number;
        let Some(view) = self.receipt.as_mut() else {
            return;
        };
        if view.reference.is_empty() {
            // Not prepared yet (the preview is still being drawn).
            return;
        }
        view.state = PrintState::Printing;
        view.problem = PrintProblem::None;
        view.job = None;
        let ticket = view.ticket;
        match self.devices.as_ref().and_then(|d| d.printer.as_ref()) {
            Some(printer) => printer.send(PrintRequest::Print { ticket, session }),
            None => view.state = PrintState::NoPrinter,
        }
        self.render_receipt();
    }

    /// 不打印了: the waiting receipt is cancelled.
    pub fn receipt_cancel(&mut self, now: Instant) {
        self.tap(now);
        let Some(job) = self.receipt.as_ref().and_then(|v| v.job) else {
            return;
        };
        if let Some(printer) = self.devices.as_ref().and_then(|d| d.printer.as_ref()) {
            printer.send(PrintRequest::Cancel { job });
        }
    }

    pub(super) fn print_update(&mut self, update: PrintUpdate) {
        match update {
            PrintUpdate::Health(health) => {
                self.printer_health = health;
                self.render_header();
                return;
            }
            PrintUpdate::Prepared {
                ticket,
                reference,
                preview,
            } => {
                if let Some(view) = self.receipt.as_mut().filter(|v| v.ticket == ticket) {
                    view.reference = reference;
                    view.preview = preview.map(|p| gray_to_image(&p.gray, p.width, p.height));
                }
            }
            PrintUpdate::PrepareFailed { ticket } => {
                if let Some(view) = self.receipt.as_mut().filter(|v| v.ticket == ticket) {
                    view.state = PrintState::Failed;
                }
            }
            PrintUpdate::NoPrinter { ticket } => {
                if let Some(view) = self.receipt.as_mut().filter(|v| v.ticket == ticket) {
                    view.state = PrintState::NoPrinter;
                }
            }
            PrintUpdate::Job {
                ticket,
                job,
                progress,
            } => {
                let Some(view) = self.receipt.as_mut().filter(|v| Some(v.ticket) == ticket) else {
                    return;
                };
                if job != 0 {
                    view.job = Some(job);
                }
                (view.state, view.problem) = match progress {
                    JobProgress::Printing => (PrintState::Printing, PrintProblem::None),
                    JobProgress::Printed => (PrintState::Printed, PrintProblem::None),
                    JobProgress::Cancelled => (PrintState::Cancelled, PrintProblem::None),
                    JobProgress::Waiting(trouble) => (PrintState::Waiting, problem_of(trouble)),
                    JobProgress::NotSaved => (PrintState::Failed, PrintProblem::None),
                };
            }
        }
        self.render_receipt();
    }

    pub(super) fn render_receipt(&self) {
        let Some(view) = &self.receipt else {
            return;
        };
        let prints_later = self.unprinted_policy == UnprintedPolicy::PrintLater;
        self.with_app(|app| {
            let a = app.global::<ReceiptAdapter>();
            a.set_preview(view.preview.clone().unwrap_or_default());
            a.set_state(view.state);
            a.set_problem(view.problem);
            a.set_reference(SharedString::from(view.reference.as_str()));
            a.set_prints_later(prints_later);
        });
    }
}

fn problem_of(trouble: Trouble) -> PrintProblem {
    match trouble {
        Trouble::PaperOut => PrintProblem::PaperOut,
        Trouble::CoverOpen => PrintProblem::CoverOpen,
        Trouble::Offline => PrintProblem::Offline,
        Trouble::Disconnected => PrintProblem::Disconnected,
        Trouble::Cutter => PrintProblem::Cutter,
        Trouble::Error => PrintProblem::Error,
    }
}

/// The paper image (one byte per dot) as a Slint image.
fn gray_to_image(gray: &[u8], width: u32, height: u32) -> Image {
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(width, height);
    for (px, g) in buffer.make_mut_slice().iter_mut().zip(gray) {
        *px = Rgb8Pixel {
            r: *g,
            g: *g,
            b: *g,
        };
    }
    Image::from_rgb8(buffer)
}

/// Forgets the last receipt shown (session end).
pub(super) fn clear_view(app: &App) {
    let a = app.global::<ReceiptAdapter>();
    a.set_preview(Image::default());
    a.set_reference(SharedString::new());
    a.set_state(PrintState::Preview);
    a.set_problem(PrintProblem::None);
}

pub(super) fn connect(app: &App, kiosk: &SharedKiosk) {
    let a = app.global::<ReceiptAdapter>();
    let h = handler(kiosk, |k, (), now| k.receipt_print(now));
    a.on_print(move || h(()));
    let h = handler(kiosk, |k, (), now| k.receipt_cancel(now));
    a.on_cancel(move || h(()));
}

impl Kiosk {
    /// The receipt on screen has its preview and reference.
    pub fn receipt_prepared(&self) -> bool {
        self.receipt
            .as_ref()
            .is_some_and(|r| !r.reference.is_empty())
    }

    /// The receipt on screen waits for the printer.
    pub fn receipt_waiting(&self) -> bool {
        self.receipt
            .as_ref()
            .is_some_and(|r| r.state == PrintState::Waiting)
    }
}
