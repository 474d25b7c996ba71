//! The renderer's bytes against expected sequences, one behaviour per test.

use std::path::PathBuf;
use std::sync::OnceLock;

use kiosk_printer::document::{Align, Receipt, Size, Style};
use kiosk_printer::escpos::{RenderError, needs_rasterizer, render};
use kiosk_printer::layout::{Line, display_width, layout};
use kiosk_printer::profile::Profile;
use kiosk_printer::raster::{self, TextRasterizer};

const INIT: [u8; 4] = [0x1B, 0x40, 0x1C, 0x26];

fn bytes(receipt: &Receipt, profile: &Profile) -> Vec<u8> {
    render(receipt, profile, None).expect("renders")
}

fn with_init(rest: &[u8]) -> Vec<u8> {
    let mut v = INIT.to_vec();
    v.extend_from_slice(rest);
    v
}

fn rasterizer() -> &'static TextRasterizer {
    static R: OnceLock<TextRasterizer> = OnceLock::new();
    R.get_or_init(|| {
        let assets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        TextRasterizer::from_assets_dir(&assets).expect("kiosk fonts")
    })
}

#[test]
fn init_then_chinese_mode() {
    assert_eq!(bytes(&Receipt::new(), &Profile::GENERIC_58), INIT);
    static NO_CHINESE: Profile = Profile {
        chinese_mode: false,
        ..Profile::GENERIC_80
    };
    assert_eq!(bytes(&Receipt::new(), &NO_CHINESE), [0x1B, 0x40]);
}

#[test]
fn cjk_text_is_gbk() {
    let r = Receipt::new().text("中文 ok");
    assert_eq!(
        bytes(&r, &Profile::GENERIC_80),
        with_init(&[0xD6, 0xD0, 0xCE, 0xC4, b' ', b'o', b'k', 0x0A])
    );
}

#[test]
fn yen_sign_becomes_fullwidth_yen_a3a4() {
    let r = Receipt::new().text("¥12");
    assert_eq!(
        bytes(&r, &Profile::GENERIC_58),
        with_init(&[0xA3, 0xA4, b'1', b'2', 0x0A])
    );
}

#[test]
fn control_characters_in_text_never_reach_the_printer() {
    // An ESC or DLE typed into a form field must not become a command.
    let r = Receipt::new().text("a\x1b@\x10\x04\x01b");
    assert_eq!(bytes(&r, &Profile::GENERIC_58), with_init(b"a@b\n"));
}

#[test]
fn four_byte_only_char_becomes_a_raster_line() {
    let r = Receipt::new().text("吉𠮷");
    assert!(needs_rasterizer(&r, &Profile::GENERIC_58));
    assert!(matches!(
        render(&r, &Profile::GENERIC_58, None),
        Err(RenderError::NoFontForUnencodable(1))
    ));
    let out = render(&r, &Profile::GENERIC_58, Some(rasterizer())).unwrap();
    // 4 columns x 12 dots = 48 dots = 6 bytes wide, 24 rows, then ESC J to
    // the 30-dot line pitch. No GB18030 four-byte sequence anywhere.
    assert_eq!(out[..4], INIT);
    assert_eq!(out[4..12], [0x1D, 0x76, 0x30, 0x00, 6, 0, 24, 0]);
    assert_eq!(out.len(), 12 + 6 * 24 + 3);
    assert_eq!(out[out.len() - 3..], [0x1B, 0x4A, 6]);
    let image = &out[12..12 + 6 * 24];
    assert!(image.iter().any(|&b| b != 0), "ink");
    // The first character (吉) is drawn in the left 24-dot cell.
    assert!((0..24).any(|row| image[row * 6] != 0 || image[row * 6 + 1] != 0));
}

#[test]
fn raster_lines_keep_alignment_and_size() {
    let r = Receipt::new().title("𠮷");
    let out = render(&r, &Profile::GENERIC_80, Some(rasterizer())).unwrap();
    // Centred with ESC a 1 (the printer centres images too); double size:
    // 2 columns x 12 dots x 2 = 48 dots wide, 48 rows, taller than the
    // line pitch so no ESC J.
    assert_eq!(
        out[4..15],
        [0x1B, 0x61, 0x01, 0x1D, 0x76, 0x30, 0x00, 6, 0, 48, 0]
    );
    assert_eq!(out.len(), 15 + 6 * 48);
}

#[test]
fn rasterizer_draws_cjk_square_and_ascii_half() {
    let b = rasterizer().render("中a", 24, false);
    assert_eq!((b.width, b.height), (36, 24));
    let ink = |x0: u32, x1: u32| {
        (x0..x1)
            .flat_map(|x| (0..24).map(move |y| (x, y)))
            .filter(|&(x, y)| b.get(x, y))
            .count()
    };
    assert!(ink(0, 24) > 40, "中 drawn in its 24x24 cell");
    assert!(ink(24, 36) > 10, "a drawn in its 12x24 cell");
    let count = |b: &raster::Bitmap| b.bits.iter().filter(|&&x| x).count();
    let regular = rasterizer().render("中", 24, false);
    let bold = rasterizer().render("中", 24, true);
    assert!(count(&bold) > count(&regular));
}

#[test]
fn wrapping_at_32_48_42_never_splits_cjk_and_counts_width_two() {
    let text = "申请人张三于二〇二四年五月一日通过公共法律服务一体机提交法律援助申请，\
                案件类型为劳动争议（拖欠工资），请于十五个工作日内携带身份证原件到中心窗口办理。";
    for profile in Profile::all() {
        let out = bytes(&Receipt::new().text(text), profile);
        let body = &out[INIT.len()..];
        let lines: Vec<&[u8]> = body
            .split(|&b| b == 0x0A)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(lines.len() > 1);
        let mut joined = String::new();
        for line in &lines {
            // Every line is whole GBK (no split pair) ...
            let (decoded, had_errors) = encoding_rs::GBK.decode_without_bom_handling(line);
            assert!(!had_errors, "{}: split character in {line:x?}", profile.id);
            // ... one byte per column, within the paper's columns ...
            assert!(
                line.len() <= profile.ascii_columns as usize,
                "{}: {decoded}",
                profile.id
            );
            assert_eq!(display_width(&decoded), line.len());
            // ... and no line starts with closing punctuation.
            assert!(
                !decoded.starts_with(['，', '。', '）']),
                "{}: {decoded}",
                profile.id
            );
            joined.push_str(&decoded);
        }
        assert_eq!(joined, text);
    }
}

#[test]
fn double_width_halves_the_columns() {
    let style = Style {
        size: Size::DoubleWidth,
        ..Style::default()
    };
    let lines = layout(
        &Receipt::new().styled(&"汉".repeat(20), style),
        &Profile::GENERIC_80,
    );
    assert_eq!(lines.len(), 2); // 24 columns = 12 characters per line
    assert!(matches!(&lines[0], Line::Text { text, .. } if text.chars().count() == 12));
}

#[test]
fn modes_are_sent_only_when_they_change() {
    let r = Receipt::new()
        .title("回执")
        .text("一")
        .text("二")
        .styled(
            "a中",
            Style {
                underline: true,
                ..Style::default()
            },
        )
        .styled(
            "右",
            Style {
                align: Align::Right,
                bold: true,
                ..Style::default()
            },
        );
    let out = bytes(&r, &Profile::GENERIC_58);
    let expected = with_init(&[
        // Title: centre, bold, double.
        0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01, 0x1D, 0x21, 0x11, 0xBB, 0xD8, 0xD6, 0xB4, 0x0A,
        // Back to left, normal, not bold (once).
        0x1B, 0x61, 0x00, 0x1B, 0x45, 0x00, 0x1D, 0x21, 0x00, 0xD2, 0xBB, 0x0A, 0xB6, 0xFE, 0x0A,
        // Underline: ESC - for the ASCII, FS - for the CJK character.
        0x1B, 0x2D, 0x01, 0x1C, 0x2D, 0x01, b'a', 0xD6, 0xD0, 0x0A,
        // Right, bold; underline off only for CJK (no ASCII on the line).
        0x1B, 0x61, 0x02, 0x1B, 0x45, 0x01, 0x1C, 0x2D, 0x00, 0xD3, 0xD2, 0x0A,
    ]);
    assert_eq!(out, expected);
}

#[test]
fn key_value_pads_value_to_the_right_edge() {
    let out = bytes(
        &Receipt::new().key_value("金额", "¥1.00"),
        &Profile::GENERIC_58,
    );
    // 金额 (4 columns), 22 columns of padding, ￥1.00 (6 columns): the
    // padding is sent as HT to columns 8, 16, 24 and two spaces.
    let mut line = vec![0xBD, 0xF0, 0xB6, 0xEE, 0x09, 0x09, 0x09, b' ', b' '];
    line.extend_from_slice(&[0xA3, 0xA4, b'1', b'.', b'0', b'0', 0x0A]);
    assert_eq!(out, with_init(&line));
    // The layout (and the preview) still has the spaces.
    let lines = layout(
        &Receipt::new().key_value("金额", "¥1.00"),
        &Profile::GENERIC_58,
    );
    assert!(matches!(&lines[0], Line::Text { text, .. } if display_width(text) == 32));
    // Short runs and centred lines keep their spaces.
    let out = bytes(&Receipt::new().text("a  b"), &Profile::GENERIC_58);
    assert_eq!(out, with_init(b"a  b\n"));
    let centred = Style {
        align: Align::Center,
        ..Style::default()
    };
    let out = bytes(
        &Receipt::new().styled("a              b", centred),
        &Profile::GENERIC_58,
    );
    assert!(out.ends_with(b"a              b\n"));
}

#[test]
fn separator_is_a_full_line_of_dashes() {
    for p in Profile::all() {
        let out = bytes(&Receipt::new().separator(), p);
        let mut line = vec![b'-'; p.ascii_columns as usize];
        line.push(0x0A);
        assert_eq!(out, with_init(&line), "{}", p.id);
    }
}

#[test]
fn qr_native_bytes_with_pl_ph() {
    let payload = "https://example.invalid/r/1";
    let out = bytes(&Receipt::new().qr(payload), &Profile::GENERIC_80);
    // 27 bytes: version 3 (29 modules) at ECC M; 576 / (29 + 8) = 15 dots,
    // capped at 6; quiet zone 4 x 6 = 24 dots of feed above and below.
    let mut expected = with_init(&[0x1B, 0x61, 0x01, 0x1B, 0x4A, 24]);
    expected.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
    expected.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]);
    expected.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 6]);
    expected.extend_from_slice(&[0x1D, 0x28, 0x6B, 30, 0x00, 0x31, 0x50, 0x30]);
    expected.extend_from_slice(payload.as_bytes());
    expected.extend_from_slice(&[
        0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30, 0x1B, 0x4A, 24,
    ]);
    assert_eq!(out, expected);

    // pH counts: 300 bytes + 3 = 0x012F.
    let long = "A".repeat(300);
    let out = bytes(&Receipt::new().qr(&long), &Profile::GENERIC_80);
    let store = [0x1D, 0x28, 0x6B, 0x2F, 0x01, 0x31, 0x50, 0x30];
    assert!(out.windows(8).any(|w| w == store));
    // Version 13 (69 modules): 576 / 77 = 7, capped at 6.
    assert!(
        out.windows(8)
            .any(|w| w == [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 6])
    );
}

#[test]
fn qr_module_shrinks_to_fit_58mm() {
    // 500 bytes: version 17 (85 modules); 384 / 93 = 4 dots.
    let out = bytes(&Receipt::new().qr(&"B".repeat(500)), &Profile::GENERIC_58);
    assert!(
        out.windows(8)
            .any(|w| w == [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 4])
    );
}

#[test]
fn second_qr_does_not_repeat_setup() {
    let out = bytes(&Receipt::new().qr("one").qr("two"), &Profile::GENERIC_80);
    let model = [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00];
    assert_eq!(out.windows(9).filter(|w| *w == model).count(), 1);
    let print = [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30];
    assert_eq!(out.windows(8).filter(|w| *w == print).count(), 2);
}

#[test]
fn qr_is_an_image_on_tm_t88() {
    let payload = "https://example.invalid/r/1";
    let out = bytes(&Receipt::new().qr(payload), &Profile::EPSON_TM_T88);
    assert!(
        !out.windows(3).any(|w| w == [0x1D, 0x28, 0x6B]),
        "no native QR"
    );
    let (modules, dark) = raster::qr_modules(payload).unwrap();
    assert_eq!(modules, 29);
    // 512 / 37 = 13, capped at 4 for images: 116 dots = 15 bytes x 116
    // rows (one band), centred with ESC a; 16 dots of quiet zone as feed.
    let header = [0x1D, 0x76, 0x30, 0x00, 15, 0, 116, 0];
    let start = INIT.len() + 3 + 3;
    assert_eq!(out[INIT.len()..start], [0x1B, 0x61, 0x01, 0x1B, 0x4A, 16]);
    assert_eq!(out[start..start + 8], header);
    // Row 0 is the top row of modules.
    let row0 = &out[start + 8..start + 8 + 15];
    for (mx, &dark) in dark.iter().take(modules as usize).enumerate() {
        let x = mx * 4;
        let black = row0[x / 8] & (0x80 >> (x % 8)) != 0;
        assert_eq!(black, dark, "module {mx}");
    }
    assert_eq!(out.len(), start + 8 + 15 * 116 + 3);
    assert_eq!(out[out.len() - 3..], [0x1B, 0x4A, 16]);
}

#[test]
fn qr_too_long_fails_before_any_output() {
    let r = Receipt::new().text("前面的内容").qr(&"x".repeat(513)).cut();
    match render(&r, &Profile::GENERIC_58, None) {
        Err(RenderError::QrTooLong { len: 513, max: 512 }) => {}
        other => panic!("{other:?}"),
    }
    assert!(
        render(
            &Receipt::new().qr(&"x".repeat(1024)),
            &Profile::GENERIC_80,
            None
        )
        .is_ok()
    );
    assert!(matches!(
        render(&Receipt::new().qr(""), &Profile::GENERIC_80, None),
        Err(RenderError::QrEncode(_))
    ));
}

#[test]
fn code128_code_set_b() {
    let out = bytes(&Receipt::new().barcode("FY{1}"), &Profile::GENERIC_80);
    let expected = with_init(&[
        0x1B, 0x61, 0x01, // centre
        0x1D, 0x68, 80, 0x1D, 0x48, 2, // height, digits below
        0x1D, 0x6B, 73, 8, b'{', b'B', b'F', b'Y', b'{', b'{', b'1', b'}',
    ]);
    assert_eq!(out, expected);
}

#[test]
fn code128_rejects_what_it_cannot_print() {
    let bad = |data: &str, p: &Profile| {
        matches!(
            render(&Receipt::new().barcode(data), p, None),
            Err(RenderError::BarcodeInvalid(_))
        )
    };
    assert!(bad("", &Profile::GENERIC_80));
    assert!(bad("编号", &Profile::GENERIC_80));
    assert!(bad("a\nb", &Profile::GENERIC_80));
    // 15 symbols x 11 + 35 = 200 modules: 2 dots = 400 > 384.
    assert!(bad(&"1".repeat(15), &Profile::GENERIC_58));
    // 14 fit at module width 2 (GS w 2 sent).
    let out = bytes(
        &Receipt::new().barcode(&"1".repeat(14)),
        &Profile::GENERIC_58,
    );
    assert!(out.windows(3).any(|w| w == [0x1D, 0x77, 2]));
}

#[test]
fn cut_with_cutter_and_feed_only_without() {
    assert_eq!(
        bytes(&Receipt::new().cut(), &Profile::GENERIC_80),
        with_init(&[0x1D, 0x56, 0x42, 0x00])
    );
    assert_eq!(
        bytes(&Receipt::new().cut(), &Profile::GENERIC_58),
        with_init(&[0x1B, 0x64, 4])
    );
}

#[test]
fn feeds_use_the_shorter_command() {
    assert_eq!(
        bytes(&Receipt::new().feed(2), &Profile::GENERIC_80),
        with_init(&[0x0A, 0x0A])
    );
    assert_eq!(
        bytes(&Receipt::new().feed(5), &Profile::GENERIC_80),
        with_init(&[0x1B, 0x64, 5])
    );
}

/// A typical receipt stays small: text plus a native QR is ~1 KB or less.
#[test]
fn typical_receipt_size() {
    let r = Receipt::new()
        .title("法律援助申请回执")
        .separator()
        .key_value("受理编号", "FY-2024-000123")
        .key_value("申请人", "张三")
        .key_value("案件类型", "劳动争议")
        .key_value("受理时间", "2024-05-01 10:23")
        .separator()
        .text("请于十五个工作日内携带身份证原件到中心窗口办理。")
        .qr("https://example.invalid/r/FY-2024-000123")
        .barcode("FY2024000123")
        .cut();
    for p in Profile::all() {
        let out = render(&r, p, None).unwrap();
        let limit = if p.qr == kiosk_printer::profile::QrSupport::Image {
            6000
        } else {
            600
        };
        assert!(out.len() < limit, "{}: {} bytes", p.id, out.len());
    }
}

#[test]
fn odd_text_renders_without_panic() {
    let odd = [
        "e\u{301}\u{302}\u{303}",
        "👨‍👩‍👧 family ❤️",
        "\u{E000}\u{F8FF}\u{FFFF}\u{10FFFF}",
        "\u{0}\u{7f}\u{80}\u{9f}\r\n\t",
        "𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷",
        "，，，，，，，，，，，，，，，，，，，，，，，，，，，，，，，，，，，",
        "（（（（（（（（（（（（（（（（（（（（（（（（（（（（（（（（（（",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "                                                                            ",
        "",
    ];
    let styles = [
        Style::default(),
        Style::TITLE,
        Style {
            underline: true,
            align: Align::Right,
            size: Size::DoubleHeight,
            bold: false,
        },
    ];
    for profile in Profile::all() {
        for text in odd {
            for style in styles {
                let r = Receipt::new()
                    .styled(text, style)
                    .key_value(text, text)
                    .key_value("", text)
                    .key_value(text, "");
                let out = render(&r, profile, Some(rasterizer())).unwrap();
                assert!(out.starts_with(&INIT));
                for line in layout(&r, profile) {
                    if let Line::Text { text, style } = line {
                        let cols = kiosk_printer::layout::columns_for(profile, style.size);
                        // A single character wider than the line is the
                        // only overflow.
                        assert!(display_width(&text) <= cols.max(2), "{text:?}");
                    }
                }
            }
        }
    }
}
