//! The interpreter with hand-written ESC/POS bytes (no device, no font).

use kiosk_printer::profile::Profile;
use kiosk_printer_sim::interpreter::{Align, Event, Interpreter, Paper, PaperItem, QrEcc};

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

/// Feed `bytes` and return the cut papers.
fn cuts(profile: &'static Profile, bytes: &[u8]) -> Vec<Paper> {
    let mut i = Interpreter::new(profile);
    i.feed(bytes)
        .into_iter()
        .filter_map(|e| match e {
            Event::Cut(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn one(profile: &'static Profile, bytes: &[u8]) -> Paper {
    let mut papers = cuts(profile, bytes);
    assert_eq!(papers.len(), 1, "one cut expected");
    papers.remove(0)
}

#[test]
fn gbk_text_round_trips_into_the_transcript() {
    let mut bytes = b"\x1b@\x1c&".to_vec();
    bytes.extend(gbk("法律援助回执：张三，￥100"));
    bytes.extend(b"\nABC 123\n\x1dV\x42\x00");
    let paper = one(&Profile::GENERIC_80, &bytes);
    assert_eq!(
        paper.transcript(),
        "法律援助回执：张三，￥100\nABC 123\n[CUT partial]\n"
    );
}

#[test]
fn chinese_mode_off_prints_single_bytes() {
    let mut bytes = b"\x1b@\x1c.".to_vec();
    bytes.extend(b"A\xb7B\n\x1dV\x00");
    let paper = one(&Profile::GENERIC_80, &bytes);
    assert_eq!(paper.transcript(), "A\u{b7}B\n[CUT]\n");
}

#[test]
fn alignment_bold_size_and_underline_appear_in_the_transcript() {
    let mut b = b"\x1b@\x1c&\x1ba\x01\x1bE\x01\x1d!\x11".to_vec();
    b.extend(gbk("法律援助回执"));
    b.extend(b"\n\x1bE\x00\x1d!\x00\x1ba\x02");
    b.extend(gbk("第1页"));
    b.extend(b"\n\x1ba\x00");
    b.extend(gbk("状态："));
    b.extend(b"\x1bE\x01");
    b.extend(gbk("已受理"));
    b.extend(b"\x1bE\x00\n\x1b-\x01\x1c-\x01");
    b.extend(gbk("下划线"));
    b.extend(b"\n\x1b-\x00\x1c-\x00--------\n[x]\n\x1dV\x00");
    let paper = one(&Profile::GENERIC_80, &b);
    assert_eq!(
        paper.transcript(),
        "[C B 2x2] 法律援助回执\n[R] 第1页\n状态：{B}已受理\n[L U1] 下划线\n--------\n[L] [x]\n[CUT]\n"
    );
}

#[test]
fn alignment_changes_only_at_the_start_of_a_line() {
    let paper = one(&Profile::GENERIC_80, b"ab\x1ba\x01cd\n\x1dV\x00");
    match &paper.items[0] {
        PaperItem::Text(l) => {
            assert_eq!(l.align, Align::Left);
            assert_eq!(l.text(), "abcd");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_commands_do_not_derail_following_text() {
    // ESC ~ and GS ~ are not ESC/POS; ESC t n and ESC p are known but not
    // modelled, and must swallow exactly their arguments.
    let bytes = b"\x1b@\x1b~AB\n\x1bt\x00\x1bp\x00\x19\xfaCD\n\x1d~EF\n\x1c\x7fGH\n\x1dV\x00";
    let paper = one(&Profile::GENERIC_80, bytes);
    assert_eq!(
        paper.transcript(),
        "[unknown 1B 7E]\nAB\nCD\n[unknown 1D 7E]\nEF\n[unknown 1C 7F]\nGH\n[CUT]\n"
    );
}

#[test]
fn bytes_split_anywhere_make_the_same_paper() {
    let mut b = b"\x1b@\x1c&\x1ba\x01\x1d!\x11".to_vec();
    b.extend(gbk("标题"));
    b.extend(b"\n\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x05\x1d(k\x03\x001E1");
    b.extend(b"\x1d(k\x0f\x001P0https://x.cn\x1d(k\x03\x001Q0");
    b.extend(b"\x1dv0\x00\x02\x00\x02\x00\xff\x00\x0f\xf0");
    b.extend(b"\x1dh\x50\x1dw\x02\x1dH\x02\x1dkI\x08{B123456");
    b.extend(b"\x1dk\x04ABC\x00\x1bd\x03\x1bJ\x10");
    b.extend(gbk("结束"));
    b.extend(b"\n\x1dVA\x10");
    let whole = one(&Profile::GENERIC_80, &b);
    let mut i = Interpreter::new(&Profile::GENERIC_80);
    let mut papers = Vec::new();
    for byte in &b {
        for e in i.feed(std::slice::from_ref(byte)) {
            if let Event::Cut(p) = e {
                papers.push(p);
            }
        }
    }
    assert_eq!(papers, vec![whole.clone()]);
    assert_eq!(
        whole.transcript(),
        "[C 2x2] 标题\n[QR M 5] https://x.cn\n[raster 16x2]\n[BARCODE CODE128] {B123456\n[BARCODE CODE39] ABC\n[FEED 3]\n[FEED 16 dots]\n[C 2x2] 结束\n[FEED 16 dots]\n[CUT]\n"
    );
    match &whole.items[1] {
        PaperItem::Qr(q) => {
            assert_eq!((q.module, q.ecc, q.align), (5, QrEcc::M, Align::Center));
        }
        other => panic!("{other:?}"),
    }
    match &whole.items[2] {
        PaperItem::Raster(r) => {
            assert!(r.get(0, 0) && r.get(7, 0) && !r.get(8, 0));
            assert!(!r.get(3, 1) && r.get(4, 1) && r.get(11, 1) && !r.get(12, 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_lines_wrap_at_the_paper_width() {
    // 58 mm: 32 ASCII or 16 CJK columns; a CJK pair is never split.
    let mut b = b"\x1b@".to_vec();
    b.extend("x".repeat(40).as_bytes());
    b.push(b'\n');
    b.extend(b"abc");
    b.extend(gbk(&"字".repeat(16)));
    b.extend(b"\n");
    let mut i = Interpreter::new(&Profile::GENERIC_58);
    i.feed(&b);
    let paper = i.finish().expect("paper");
    assert_eq!(
        paper.text_lines(),
        vec![
            "x".repeat(32),
            "x".repeat(8),
            format!("abc{}", "字".repeat(14)),
            "字".repeat(2)
        ]
    );
}

#[test]
fn status_requests_and_auto_status_are_events() {
    let mut i = Interpreter::new(&Profile::GENERIC_80);
    let events = i.feed(b"\x10\x04\x01\x10\x04");
    assert_eq!(events, vec![Event::StatusRequest(1)]);
    assert_eq!(
        i.feed(b"\x04\x1da\xff"),
        vec![Event::StatusRequest(4), Event::AutoStatus(0xff)]
    );
    assert!(i.finish().is_none(), "status requests print nothing");
}

#[test]
fn a_printer_without_native_qr_ignores_gs_k() {
    let b = b"\x1b@\x1d(k\x03\x001C\x05\x1d(k\x07\x001P0abcd\x1d(k\x03\x001Q0ok\n\x1dV\x00";
    let paper = one(&Profile::EPSON_TM_T88, b);
    assert_eq!(paper.transcript(), "[QR not supported]\nok\n[CUT]\n");
    // Over the profile's capacity: not stored, not printed.
    let mut b = b"\x1d(k".to_vec();
    let data = vec![b'a'; 1100];
    let len = data.len() + 3;
    b.extend([(len & 0xff) as u8, (len >> 8) as u8, b'1', b'P', b'0']);
    b.extend(&data);
    b.extend(b"\x1d(k\x03\x001Q0\x1dV\x00");
    let paper = one(&Profile::GENERIC_80, &b);
    assert_eq!(
        paper.transcript(),
        "[QR too long: 1100 bytes]\n[QR no data]\n[CUT]\n"
    );
}

#[test]
fn a_printer_without_cutter_ignores_the_cut_and_is_torn_off() {
    let mut i = Interpreter::new(&Profile::GENERIC_58);
    assert!(i.feed(b"hello\n\x1dVB\x00\x1bd\x04").is_empty());
    let paper = i.tear_off().expect("paper");
    assert_eq!(paper.transcript(), "hello\n[no cutter]\n[FEED 4]\n[TEAR]\n");
    assert!(i.tear_off().is_none());
}

#[test]
fn esc_at_resets_styles_and_drops_the_unprinted_line() {
    let paper = one(
        &Profile::GENERIC_80,
        b"\x1bE\x01\x1d!\x11lost\x1b@kept\n\x1dV\x00",
    );
    assert_eq!(paper.transcript(), "kept\n[CUT]\n");
}

/// xorshift, deterministic.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn arbitrary_bytes_never_panic_and_never_grow_without_bound() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let renderer = kiosk_printer_sim::PaperRenderer::without_font();
    for profile in Profile::all() {
        for round in 0..150 {
            let mut i = Interpreter::new(profile);
            let len = (rng(&mut seed) % 2000) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
            // Bias towards command starts so commands actually parse.
            for k in 0..len / 8 {
                let at = (rng(&mut seed) as usize) % len.max(1);
                if at < bytes.len() {
                    bytes[at] = [0x1b, 0x1d, 0x1c, 0x10, 0x0a][k % 5];
                }
            }
            let mut papers = Vec::new();
            for chunk in bytes.chunks(1 + round % 7) {
                for e in i.feed(chunk) {
                    if let Event::Cut(p) = e {
                        papers.push(p);
                    }
                }
            }
            papers.extend(i.finish());
            // Drawing is the slow part in a debug build: every 5th round.
            for p in &papers {
                let _ = p.transcript();
            }
            for p in papers.iter().take(if round % 5 == 0 { 3 } else { 0 }) {
                let img = renderer.render(p, profile);
                assert_eq!(img.width, u32::from(profile.paper_dots));
            }
        }
    }
}
