use kiosk_library::{Library, SearchIndex, Statutes};
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let statutes = Statutes::load(root.join("assets/laws")).unwrap();
    let lib = Library::load(root.join("assets/content"), &statutes).unwrap();
    let mut conn = kiosk_storage::open_in_memory().unwrap();
    SearchIndex::sync(&mut conn, &lib).unwrap();
    for q in std::env::args().skip(1) {
        let hits = SearchIndex::search(
            &conn,
            &q,
            std::env::var("LIMIT")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(40),
        )
        .unwrap();
        println!("== {q}: {} hits", hits.len());
        for h in hits.iter().take(12) {
            let t: String = h
                .title
                .iter()
                .map(|s| {
                    if s.highlight {
                        format!("[{}]", s.text)
                    } else {
                        s.text.clone()
                    }
                })
                .collect();
            let sn: String = h
                .snippet
                .iter()
                .map(|s| {
                    if s.highlight {
                        format!("[{}]", s.text)
                    } else {
                        s.text.clone()
                    }
                })
                .collect();
            println!("  {:?} {} | {}", h.field, t, sn);
        }
    }
}
