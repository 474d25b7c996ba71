//! Chinese text is drawn with the font shipped in assets/, not left blank:
//! Slint silently skips glyphs it cannot find, so these tests look at pixels
//! and at the font's character map.

use std::collections::BTreeSet;
use std::path::Path;

use kiosk::headless::{Frame, HeadlessWindow};
use kiosk::{App, AppState, LibraryAdapter, Page};
use slint::{ComponentHandle, ModelRc, VecModel};

const FONTS: [&str; 2] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/fonts/NotoSansCJKsc-Regular-subset.otf"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/fonts/NotoSansCJKsc-Bold-subset.otf"
    ),
];

fn changed_pixels(a: &Frame, b: &Frame, x: u32, y: u32, w: u32, h: u32) -> usize {
    let mut n = 0;
    for row in y..y + h {
        for col in x..x + w {
            let i = ((row * a.width + col) * 3) as usize;
            if a.rgb[i..i + 3] != b.rgb[i..i + 3] {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn runtime_chinese_text_is_drawn_with_the_embedded_font() {
    let window = HeadlessWindow::install().unwrap();
    let app = App::new().unwrap();
    window.set_size(1080, 1920);
    app.show().unwrap();
    let state = app.global::<AppState>();

    // A name with a rare character (CJK Extension A) set at run time.
    state.set_office_name("䶮堃喆镇司法所".into());
    let with_name = window.render();
    state.set_office_name("".into());
    let without_name = window.render();
    let ink = changed_pixels(&with_name, &without_name, 0, 0, 700, 70);
    assert!(ink > 800, "office name drew only {ink} pixels");

    // An article body given at run time, not known to the .slint files.
    let library = app.global::<LibraryAdapter>();
    state.set_page(Page::Article);
    library.set_article_title("婚姻登记".into());
    let blank = window.render();
    library.set_article_blocks(ModelRc::new(VecModel::from(vec![kiosk::BlockItem {
        kind: 1,
        text: "夫妻双方自愿离婚的，应当签订书面离婚协议，并亲自到婚姻登记机关申请离婚登记。".into(),
        marker: "".into(),
    }])));
    let with_body = window.render();
    let ink = changed_pixels(&with_body, &blank, 0, 100, 1080, 700);
    assert!(ink > 3000, "article body drew only {ink} pixels");
}

#[test]
fn every_character_in_the_content_and_ui_has_a_glyph_in_both_weights() {
    let fonts: Vec<Vec<u8>> = FONTS.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let faces: Vec<ttf_parser::Face> = fonts
        .iter()
        .map(|b| ttf_parser::Face::parse(b, 0).unwrap())
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    collect(&root.join("assets/content"), "md", &mut files);
    collect(&root.join("assets/content"), "toml", &mut files);
    collect(&root.join("kiosk/app/ui"), "slint", &mut files);
    assert!(files.len() > 80, "found {} files", files.len());
    let mut missing = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for c in text.chars() {
            for (face, font) in faces.iter().zip(FONTS) {
                if !c.is_control() && c != ' ' && face.glyph_index(c).is_none() {
                    let font = Path::new(font)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    missing.insert((
                        c,
                        font,
                        file.file_name().unwrap().to_string_lossy().into_owned(),
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "characters without a glyph: {missing:?}"
    );
}

#[test]
fn rare_characters_in_names_and_addresses_have_glyphs_in_both_weights() {
    // Extension A and B ideographs occur in residents' names and place
    // names; the sample card with them must show, not as boxes.
    let card = kiosk_idcard_sim::samples::by_key("resident-rare").unwrap();
    let card = kiosk_idcard::card::parse_text_block(&card.text).unwrap();
    let text = format!(
        "{}{}",
        card.name,
        card.address.as_deref().unwrap_or_default()
    );
    assert!(
        text.chars().any(|c| c as u32 >= 0x20000),
        "{text} has an Extension B character"
    );
    for font in FONTS {
        let bytes = std::fs::read(font).unwrap();
        let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
        for c in text.chars().filter(|c| !c.is_ascii()) {
            assert!(face.glyph_index(c).is_some(), "{c} missing from {font}");
        }
    }
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}
