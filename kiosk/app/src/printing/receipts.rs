//! The receipts the terminal prints, as documents of the printer driver's
//! model (`kiosk_printer::document`). A service gathers what its receipt
//! says on the UI thread (plain data, [`Send`]) and the print service builds
//! the document once it has chosen the reference number.
//!
//! Privacy: no receipt carries an ID number; the reference number stands
//! in for it.

use kiosk_printer::document::{Align, Receipt, Size, Style};
use slint::ComponentHandle;

use crate::content::LoadedContent;
use crate::{App, ConsultWords, ReceiptWords, Service, ServiceWords};

/// The national law database, where every statute an article cites can be
/// read in full (国家法律法规数据库, run by the NPC Standing Committee's
/// Legislative Affairs Commission).
pub const LAW_DATABASE_URL: &str = "https://flk.npc.gov.cn/";

/// Words printed on receipts, from the UI's translations.
#[derive(Debug, Clone)]
pub struct Words {
    pub article_heading: String,
    pub printed_at: String,
    pub reference: String,
    pub basis: String,
    pub help: String,
    pub qr_caption: String,
    pub note: String,
}

impl Words {
    pub fn from_app(app: &App) -> Words {
        let w = app.global::<ReceiptWords>();
        Words {
            article_heading: w.get_article_heading().into(),
            printed_at: w.get_printed_at().into(),
            reference: w.get_reference().into(),
            basis: w.get_basis().into(),
            help: w.get_help().into(),
            qr_caption: w.get_qr_caption().into(),
            note: w.get_note().into(),
        }
    }
}

/// Everything an article receipt says, gathered on the UI thread.
#[derive(Debug, Clone)]
pub struct ArticleReceipt {
    pub words: Words,
    pub office: String,
    pub printed_at: String,
    pub title: String,
    pub summary: String,
    /// `《Law title》第N条` for each statute article the text relies on.
    pub citations: Vec<String>,
    /// (name, how to reach it) for the article's services, 12348 always last.
    pub help: Vec<(String, String)>,
}

impl ArticleReceipt {
    /// Gathers the article `id`; None if there is no such article.
    pub fn gather(
        app: &App,
        content: &LoadedContent,
        id: &str,
        office: &str,
        printed_at: &str,
    ) -> Option<ArticleReceipt> {
        let article = content.library.article(id)?;
        let citations = article
            .sources()
            .iter()
            .map(|c| {
                let law = content
                    .statutes
                    .law(&c.law)
                    .map(|l| l.title().to_owned())
                    .unwrap_or_else(|| c.law.clone());
                format!("《{law}》{}", c.article_label())
            })
            .collect();
        let services_words = app.global::<ServiceWords>();
        let mut services: Vec<Service> = article
            .services()
            .iter()
            .map(|s| match s {
                kiosk_library::Service::Hotline => Service::Hotline,
                kiosk_library::Service::LegalAid => Service::LegalAid,
                kiosk_library::Service::Mediation => Service::Mediation,
                kiosk_library::Service::Notary => Service::Notary,
                kiosk_library::Service::Lawyer => Service::Lawyer,
            })
            .filter(|s| *s != Service::Hotline)
            .collect();
        // The hotline is on every receipt: it is the one number that always helps.
        services.push(Service::Hotline);
        let help = services
            .into_iter()
            .map(|s| {
                (
                    services_words.invoke_label(s).to_string(),
                    services_words.invoke_hint(s).to_string(),
                )
            })
            .collect();
        Some(ArticleReceipt {
            words: Words::from_app(app),
            office: office.to_owned(),
            printed_at: printed_at.to_owned(),
            title: article.title().to_owned(),
            summary: article.summary().to_owned(),
            citations,
            help,
        })
    }

    /// The document, once the reference number is known.
    pub fn build(&self, reference: &str) -> Receipt {
        let w = &self.words;
        let mut r = opening(&w.article_heading, &self.office)
            .styled(
                &self.title,
                // Double width too: double height alone squeezes Chinese.
                Style {
                    bold: true,
                    size: Size::Double,
                    ..Style::default()
                },
            )
            .text(&self.summary)
            .separator()
            .styled(&w.basis, HEADING);
        for citation in &self.citations {
            r = r.text(citation);
        }
        r = r.separator().styled(&w.help, HEADING);
        for (name, hint) in &self.help {
            r = r.styled(name, HEADING).text(hint);
        }
        let r = r
            .separator()
            .qr(LAW_DATABASE_URL)
            .styled(&w.qr_caption, CENTRED)
            .separator();
        closing(r, w, reference, &self.printed_at, &w.note)
    }
}

/// Everything a consultation receipt says, gathered on the UI thread: the
/// lawyer's summary and advice, never the resident's name or number.
#[derive(Debug, Clone)]
pub struct ConsultationReceipt {
    pub words: Words,
    pub heading: String,
    /// (label, value) rows: topic, lawyer, talk time.
    pub rows: Vec<(String, String)>,
    pub office: String,
    pub printed_at: String,
    pub summary_label: String,
    pub summary: String,
    pub advice_label: String,
    pub advice: String,
    pub closing: String,
    pub hotline: (String, String),
}

impl ConsultationReceipt {
    #[allow(clippy::too_many_arguments)]
    pub fn gather(
        app: &App,
        office: &str,
        printed_at: &str,
        topic: &str,
        lawyer: &str,
        talk_secs: u64,
        summary: &str,
        advice: &str,
    ) -> ConsultationReceipt {
        let c = app.global::<ConsultWords>();
        let services = app.global::<ServiceWords>();
        let talk = c
            .invoke_minutes_seconds(talk_secs.min(i32::MAX as u64) as i32)
            .to_string();
        ConsultationReceipt {
            words: Words::from_app(app),
            heading: c.get_receipt_heading().into(),
            rows: vec![
                (
                    c.get_topic().into(),
                    c.invoke_topic_name(topic.into()).into(),
                ),
                (c.get_lawyer().into(), lawyer.to_owned()),
                (c.get_talk_time().into(), talk),
            ],
            office: office.to_owned(),
            printed_at: printed_at.to_owned(),
            summary_label: c.get_summary().into(),
            summary: summary.to_owned(),
            advice_label: c.get_advice().into(),
            advice: advice.to_owned(),
            closing: c.get_note().into(),
            hotline: (
                services.invoke_label(Service::Hotline).into(),
                services.invoke_hint(Service::Hotline).into(),
            ),
        }
    }

    /// The document, once the reference number is known.
    pub fn build(&self, reference: &str) -> Receipt {
        let mut r = opening(&self.heading, &self.office);
        for (label, value) in &self.rows {
            r = r.key_value(label, value);
        }
        let r = r
            .separator()
            .styled(&self.summary_label, HEADING)
            .text(&self.summary)
            .styled(&self.advice_label, HEADING)
            .text(&self.advice)
            .separator()
            .styled(&self.hotline.0, HEADING)
            .text(&self.hotline.1)
            .separator();
        closing(r, &self.words, reference, &self.printed_at, &self.closing)
    }
}

const HEADING: Style = Style {
    bold: true,
    size: Size::Normal,
    align: Align::Left,
    underline: false,
};

const CENTRED: Style = Style {
    bold: false,
    size: Size::Normal,
    align: Align::Center,
    underline: false,
};

/// Every receipt of the terminal starts alike: what it is, which office.
fn opening(heading: &str, office: &str) -> Receipt {
    Receipt::new()
        .title(heading)
        .styled(office, CENTRED)
        .separator()
}

/// ... and ends alike: reference number, time, a closing note, cut.
fn closing(r: Receipt, words: &Words, reference: &str, printed_at: &str, note: &str) -> Receipt {
    r.key_value(&words.reference, reference)
        .key_value(&words.printed_at, printed_at)
        .text(note)
        .feed(2)
        .cut()
}

/// The technician's test page: every style, a QR code, a CJK line, a
/// character GBK cannot carry (printed as an image) and a barcode. Its words
/// are fixed: it is read by technicians checking the printer, not residents.
pub fn test_page(profile_name: &str, printed_at: &str, reference: &str) -> Receipt {
    let style = |bold, size, align, underline| Style {
        bold,
        size,
        align,
        underline,
    };
    Receipt::new()
        .title("打印机测试页 TEST")
        .key_value("profile", profile_name)
        .separator()
        .styled("Normal 普通文字 0123456789", Style::default())
        .styled("Bold 粗体", style(true, Size::Normal, Align::Left, false))
        .styled("Underline 下划线", style(false, Size::Normal, Align::Left, true))
        .styled("Double height 倍高", style(false, Size::DoubleHeight, Align::Left, false))
        .styled("Double width 倍宽", style(false, Size::DoubleWidth, Align::Left, false))
        .styled("Double 双倍", style(false, Size::Double, Align::Left, false))
        .styled("居中 Centre", style(false, Size::Normal, Align::Center, false))
        .styled("靠右 Right", style(false, Size::Normal, Align::Right, false))
        .text("中文长句换行测试：公共法律服务一体机为群众提供法律咨询、法律援助申请、人民调解申请等服务，打印的每一行都按显示宽度折行，不会把一个汉字拆开。")
        .text("金额 ¥12.50 · 全角符号：（）《》")
        .text("生僻字（以图像打印）：𠮷")
        .separator()
        .qr(LAW_DATABASE_URL)
        .barcode(reference)
        .key_value("回执编号", reference)
        .key_value("打印时间", printed_at)
        .feed(2)
        .cut()
}
