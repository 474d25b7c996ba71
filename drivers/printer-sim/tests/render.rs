//! The paper images of receipts rendered by the real driver
//! (`kiosk_printer::escpos::render`), through `render_bytes`.

mod common;

use kiosk_printer::document::{Align, Receipt, Size, Style};
use kiosk_printer::escpos;
use kiosk_printer::profile::Profile;
use kiosk_printer_sim::paper::{render_bytes, render_papers};

fn sample() -> Receipt {
    Receipt::new()
        .title("法律援助回执")
        .key_value("编号", "FY-2026-0001")
        .text("请于三个工作日内携带身份证到司法所领取结果。")
        .separator()
        .styled(
            "右对齐",
            Style {
                align: Align::Right,
                ..Style::default()
            },
        )
        .qr("https://example.invalid/r/FY-2026-0001")
        .barcode("FY20260001")
        .cut()
}

#[test]
fn png_width_is_the_profile_dots_for_all_three_profiles() {
    let font = common::rasterizer();
    let renderer = common::renderer();
    for profile in Profile::all() {
        let bytes = escpos::render(&sample(), profile, Some(&font)).expect("render");
        let images = render_bytes(&bytes, profile, &renderer);
        assert_eq!(images.len(), 1, "{}", profile.id);
        let img = &images[0];
        assert_eq!(img.width, u32::from(profile.paper_dots), "{}", profile.id);
        assert!(img.height > 300, "{} height {}", profile.id, img.height);
        let png = img.to_png();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().expect("png");
        assert_eq!(reader.info().width, u32::from(profile.paper_dots));
    }
}

#[test]
fn the_centred_title_is_inked_in_the_middle_and_bold_double_size() {
    let font = common::rasterizer();
    let renderer = common::renderer();
    let profile = &Profile::GENERIC_80;
    let bytes = escpos::render(&sample(), profile, Some(&font)).expect("render");
    let papers = render_papers(&bytes, profile);
    let paper = &papers[0];
    let transcript = paper.transcript();
    assert!(
        transcript.starts_with("[C B 2x2] 法律援助回执\n"),
        "{transcript}"
    );
    assert!(transcript.contains("\n[R] 右对齐\n"), "{transcript}");
    let (img, places) = renderer.render_placed(paper, profile);
    // Title: 6 CJK characters at 2x2 = 288 x 48 dots, centred on 576.
    let (x0, y0, x1, y1) = img.ink_bounds(places[0].clone()).expect("title ink");
    let centre = (x0 + x1) / 2;
    assert!((280..=296).contains(&centre), "title centre {centre}");
    assert!(x1 - x0 > 250 && x1 - x0 <= 288, "title width {}", x1 - x0);
    assert!(y1 - y0 > 30 && y1 - y0 <= 48, "title height {}", y1 - y0);
    // The right-aligned line ends at the right edge.
    let right = paper
        .items
        .iter()
        .position(|i| matches!(i, kiosk_printer_sim::PaperItem::Text(l) if l.text() == "右对齐"))
        .expect("right line");
    let (rx0, _, rx1, _) = img.ink_bounds(places[right].clone()).expect("right ink");
    assert!(rx1 > 560 && rx0 > 576 - 72 - 8, "right line {rx0}..{rx1}");
}

#[test]
fn a_native_qr_decodes_from_the_png_to_the_payload() {
    let font = common::rasterizer();
    let renderer = common::renderer();
    for profile in [&Profile::GENERIC_80, &Profile::GENERIC_58] {
        let bytes = escpos::render(&sample(), profile, Some(&font)).expect("render");
        let papers = render_papers(&bytes, profile);
        assert!(
            papers[0]
                .transcript()
                .contains("[QR M 6] https://example.invalid/r/FY-2026-0001")
                || papers[0].transcript().contains("[QR M "),
            "{}",
            papers[0].transcript()
        );
        let img = renderer.render(&papers[0], profile);
        assert_eq!(
            common::decode_qr(&img),
            vec!["https://example.invalid/r/FY-2026-0001".to_string()],
            "{}",
            profile.id
        );
    }
}

#[test]
fn an_image_qr_decodes_from_the_png_to_the_payload() {
    let font = common::rasterizer();
    let renderer = common::renderer();
    let profile = &Profile::EPSON_TM_T88;
    let bytes = escpos::render(&sample(), profile, Some(&font)).expect("render");
    let papers = render_papers(&bytes, profile);
    let transcript = papers[0].transcript();
    assert!(!transcript.contains("[QR"), "{transcript}");
    assert!(transcript.contains("[raster "), "{transcript}");
    let img = renderer.render(&papers[0], profile);
    assert_eq!(
        common::decode_qr(&img),
        vec!["https://example.invalid/r/FY-2026-0001".to_string()]
    );
}

#[test]
fn a_trailing_receipt_without_cut_is_rendered_too() {
    let font = common::rasterizer();
    let renderer = common::renderer();
    let profile = &Profile::GENERIC_80;
    let mut bytes = escpos::render(&sample(), profile, Some(&font)).expect("render");
    bytes.extend(
        escpos::render(
            &Receipt::new().styled(
                "预览",
                Style {
                    size: Size::Double,
                    ..Style::default()
                },
            ),
            profile,
            None,
        )
        .expect("render"),
    );
    let images = render_bytes(&bytes, profile, &renderer);
    assert_eq!(images.len(), 2);
    assert!(images[1].ink_bounds(0..images[1].height).is_some());
}

#[test]
fn barcodes_are_drawn_with_their_text() {
    let renderer = common::renderer();
    let profile = &Profile::GENERIC_80;
    let bytes =
        escpos::render(&Receipt::new().barcode("FY20260001").cut(), profile, None).expect("render");
    let papers = render_papers(&bytes, profile);
    assert!(
        papers[0]
            .transcript()
            .contains("[BARCODE CODE128] {BFY20260001"),
        "{}",
        papers[0].transcript()
    );
    let (img, places) = renderer.render_placed(&papers[0], profile);
    let i = papers[0]
        .items
        .iter()
        .position(|i| matches!(i, kiosk_printer_sim::PaperItem::Barcode(_)))
        .unwrap();
    let (x0, y0, x1, y1) = img.ink_bounds(places[i].clone()).expect("bars");
    assert!(x1 - x0 > 200, "bars {x0}..{x1}");
    assert!(y1 - y0 >= 80, "bars and text {y0}..{y1}");
    // Bars alternate: many black/white transitions along the middle row.
    let y = y0 + 40;
    let transitions = (x0..x1)
        .filter(|&x| (img.get(x, y) < 128) != (img.get(x + 1, y) < 128))
        .count();
    assert!(transitions > 40, "{transitions} transitions");
}

#[test]
#[ignore = "writes a sample PNG for a person to look at: PRINTER_SIM_SAMPLE=<dir>"]
fn write_sample_png() {
    let dir =
        std::path::PathBuf::from(std::env::var("PRINTER_SIM_SAMPLE").unwrap_or("/tmp".into()));
    let font = common::rasterizer();
    let renderer = common::renderer();
    for profile in Profile::all() {
        let bytes = escpos::render(&sample(), profile, Some(&font)).expect("render");
        let images = render_bytes(&bytes, profile, &renderer);
        images[0]
            .save_png(&dir.join(format!("sample-{}.png", profile.id)))
            .expect("png");
    }
}
