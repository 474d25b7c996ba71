//! Every text colour the theme uses is readable on the backgrounds it is
//! used on: WCAG contrast of at least 4.5:1 (elder-friendly guidelines).

use kiosk::{App, Theme};
use slint::{Color, ComponentHandle};

fn luminance(c: Color) -> f64 {
    let channel = |v: u8| {
        let s = v as f64 / 255.0;
        if s <= 0.03928 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())
}

fn contrast(a: Color, b: Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn every_text_and_background_pair_has_at_least_4_5_to_1_contrast() {
    i_slint_backend_testing::init_no_event_loop();
    let app = App::new().unwrap();
    let t = app.global::<Theme>();
    let pairs = [
        ("ink on page", t.get_ink(), t.get_page_bg()),
        ("ink on surface", t.get_ink(), t.get_surface()),
        ("muted ink on page", t.get_ink_muted(), t.get_page_bg()),
        ("muted ink on surface", t.get_ink_muted(), t.get_surface()),
        ("primary on surface", t.get_primary(), t.get_surface()),
        ("primary on page", t.get_primary(), t.get_page_bg()),
        ("on-primary on primary", t.get_on_primary(), t.get_primary()),
        ("header text", t.get_on_header(), t.get_header_bg()),
        ("ok on surface", t.get_ok(), t.get_surface()),
        ("white on ok", t.get_on_primary(), t.get_ok()),
        ("warning on page", t.get_warn(), t.get_page_bg()),
        ("ink on highlight", t.get_ink(), t.get_accent_bg()),
        ("ink on key", t.get_ink(), t.get_key_bg()),
        ("ink on special key", t.get_ink(), t.get_key_special_bg()),
        (
            "muted ink on divider (pressed)",
            t.get_ink_muted(),
            t.get_divider(),
        ),
    ];
    for (name, fg, bg) in pairs {
        let ratio = contrast(fg, bg);
        assert!(ratio >= 4.5, "{name}: {ratio:.2}:1");
    }
}
