use std::time::Instant;
fn main() {
    let conn = kiosk_storage::open("/tmp/benchkeep/synthetic.db").unwrap();
    let qs: Vec<String> = std::env::args().skip(1).collect();
    let rounds = 200;
    for q in &qs {
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..rounds { n = kiosk_library::SearchIndex::search(&conn, q, 20).unwrap().len(); }
        println!("{q}: {} hits, {:.0} µs", n, t.elapsed().as_secs_f64() * 1e6 / rounds as f64);
    }
}
