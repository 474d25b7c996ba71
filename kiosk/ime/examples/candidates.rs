//! Prints the candidates the engine offers for pinyin typed on the command
//! line, page by page: `cargo run --release -p kiosk-ime --example
//! candidates -- hunyin hy lihunxieyi`. For tuning the dictionary and the
//! legal term list by eye.

use kiosk_ime::{Dictionary, Engine, Key};

fn main() {
    let dict = Dictionary::embedded();
    let pages: usize = std::env::var("PAGES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(2);
    for input in std::env::args().skip(1) {
        let mut engine = Engine::new(dict.clone());
        for c in input.chars() {
            engine.press(Key::Letter(c));
        }
        println!("{input} [{}]", engine.display_composition());
        for page in 0..pages {
            let shown: Vec<String> = engine
                .candidates()
                .iter()
                .map(|c| format!("{}({})", c.text, c.consumed))
                .collect();
            println!("  page {page}: {}", shown.join(" "));
            if !engine.has_next_page() {
                break;
            }
            engine.press(Key::NextPage);
        }
    }
}
