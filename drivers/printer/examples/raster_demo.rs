//! Prints a line drawn by the text rasterizer as ASCII art:
//! `cargo run --example raster_demo -- "text"`.
use kiosk_printer::raster::TextRasterizer;
use std::path::PathBuf;

fn main() {
    let text = std::env::args().nth(1).unwrap_or_else(|| "吉𠮷 Ab".into());
    let assets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let r = TextRasterizer::from_assets_dir(&assets).expect("fonts");
    for c in text.chars() {
        println!("{c:?} in font: {}", r.has_glyph(c));
    }
    let b = r.render(&text, 24, false);
    for y in 0..b.height {
        let row: String = (0..b.width)
            .map(|x| if b.get(x, y) { '#' } else { '.' })
            .collect();
        println!("{row}");
    }
}
