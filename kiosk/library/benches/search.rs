//! Search latency and import time, on the shipped library and on a
//! synthetic library of 10,000 articles built deterministically from the
//! shipped articles' titles, keywords and paragraphs.
//!
//! Run with `cargo bench -p kiosk-library --bench search`. Prints one table;
//! the target is p99 under 5 ms on the kiosk's 2-core class of machine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiosk_library::{Block, Library, SearchIndex, Statutes};

const SYNTHETIC_ARTICLES: usize = 10_000;
const ROUNDS: usize = 60;
const LIMIT: usize = 20;

/// Queries a resident might type, by kind.
const QUERIES: &[(&str, &[&str])] = &[
    (
        "chinese",
        &[
            "离婚",
            "欠钱",
            "工资",
            "离婚冷静期",
            "交通事故",
            "法律援助",
            "遗产",
            "物业费",
            "诈骗",
            "调解",
            "借条",
            "工伤",
            "彩礼",
            "赔偿",
        ],
    ),
    (
        "full pinyin",
        &[
            "lihun",
            "hunyin",
            "qianqian",
            "gongzi",
            "jiaotongshigu",
            "falvyuanzhu",
            "yichan",
            "wuyefei",
            "zhapian",
            "tiaojie",
            "taoxin",
        ],
    ),
    (
        "initials",
        &[
            "hy", "lh", "qq", "tgz", "jtsg", "flyz", "wyf", "zp", "gs", "l",
        ],
    ),
    (
        "mixed",
        &[
            "huny", "hyin", "hunyinfa", "jiaotsg", "flvyz", "lihunl", "gongs", "tqgz",
        ],
    ),
    ("no hit", &["量子力学", "火星移民", "kkkkkkkk", "qwxzv"]),
];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let statutes = Statutes::load(root.join("assets/laws")).expect("statutes");
    let real = Library::load(root.join("assets/content"), &statutes).expect("shipped library");
    assert!(
        !real.articles().is_empty(),
        "the shipped library has no articles to build from"
    );

    // BENCH_KEEP_DIR=<dir> keeps the generated library and databases for
    // inspection; by default they go to a temporary folder.
    let tmp = tempfile::tempdir().expect("temp dir");
    let work: PathBuf =
        std::env::var_os("BENCH_KEEP_DIR").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let synthetic_dir = work.join("synthetic");
    let _ = std::fs::remove_dir_all(&synthetic_dir);
    let started = Instant::now();
    write_synthetic(&real, &synthetic_dir, SYNTHETIC_ARTICLES);
    let synthetic = Library::load(&synthetic_dir, &statutes).expect("synthetic library");
    println!(
        "generated and loaded {} synthetic articles in {:.1} s\n",
        synthetic.articles().len(),
        started.elapsed().as_secs_f64()
    );

    println!(
        "{:<10} {:>8} {:>10} {:>10} {:>12} {:>8} {:>9} {:>9} {:>9}",
        "library",
        "articles",
        "import ms",
        "no-op ms",
        "kind",
        "queries",
        "p50 µs",
        "p99 µs",
        "max µs"
    );
    for (name, library) in [("real", &real), ("synthetic", &synthetic)] {
        let db = work.join(format!("{name}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        bench(name, library, &db);
    }
}

fn bench(name: &str, library: &Library, db: &Path) {
    let mut conn = kiosk_storage::open(db).expect("database");
    let t = Instant::now();
    SearchIndex::sync(&mut conn, library).expect("import");
    let import = t.elapsed();
    let t = Instant::now();
    SearchIndex::sync(&mut conn, library).expect("no-op sync");
    let noop = t.elapsed();

    // Warm-up: the page cache as it is after the first few searches.
    for (_, queries) in QUERIES {
        for q in *queries {
            SearchIndex::search(&conn, q, LIMIT).expect("search");
        }
    }
    let mut all = Vec::new();
    let mut first = true;
    for (kind, queries) in QUERIES {
        let mut times = Vec::new();
        for _ in 0..ROUNDS {
            for q in *queries {
                let t = Instant::now();
                let hits = SearchIndex::search(&conn, q, LIMIT).expect("search");
                times.push(t.elapsed());
                std::hint::black_box(hits);
            }
        }
        all.extend_from_slice(&times);
        print_row(name, library, import, noop, kind, &mut times, first);
        first = false;
    }
    print_row(name, library, import, noop, "all", &mut all, false);
    let mut suggest = Vec::new();
    for _ in 0..ROUNDS {
        for q in QUERIES
            .iter()
            .find(|(k, _)| *k == "no hit")
            .map_or(&[][..], |(_, q)| q)
        {
            let t = Instant::now();
            std::hint::black_box(kiosk_library::suggest_categories(library, q));
            suggest.push(t.elapsed());
        }
    }
    print_row(name, library, import, noop, "suggest", &mut suggest, false);
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!("{:<10} database size {:.1} MB\n", "", size as f64 / 1e6);
}

fn print_row(
    name: &str,
    library: &Library,
    import: Duration,
    noop: Duration,
    kind: &str,
    times: &mut [Duration],
    first: bool,
) {
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    let (label, articles, import, noop) = if first {
        (
            name.to_string(),
            library.articles().len().to_string(),
            format!("{:.0}", import.as_secs_f64() * 1e3),
            format!("{:.2}", noop.as_secs_f64() * 1e3),
        )
    } else {
        Default::default()
    };
    println!(
        "{:<10} {:>8} {:>10} {:>10} {:>12} {:>8} {:>9.0} {:>9.0} {:>9.0}",
        label,
        articles,
        import,
        noop,
        kind,
        times.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

/// A tiny deterministic generator (xorshift64*), so every run builds the
/// same library.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Writes `count` articles built from the real library's vocabulary:
/// titles join a real keyword and the tail of a real title; keywords,
/// summaries and body blocks are drawn from real articles (keeping each
/// borrowed block's citations valid by listing its article's sources).
fn write_synthetic(real: &Library, dir: &Path, count: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let articles = real.articles();
    let keywords: Vec<&str> = articles
        .iter()
        .flat_map(|a| a.keywords().iter().map(String::as_str))
        .collect();
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/content/categories.toml"),
        dir.join("categories.toml"),
    )
    .expect("categories");
    for c in real.categories() {
        std::fs::create_dir_all(dir.join(&c.slug)).expect("category dir");
    }
    for i in 0..count {
        let category = &real.categories()[i % real.categories().len()].slug;
        let prefix = category.split('-').next().unwrap_or(category);
        let keyword = *rng.pick(&keywords);
        let tail: String = {
            let title: Vec<char> = rng.pick(articles).title().chars().collect();
            title[title.len().min(2)..].iter().collect()
        };
        let title: String = format!("{keyword}{tail}").chars().take(20).collect();
        let n_keywords = 3 + rng.below(6);
        let mut kw = BTreeSet::new();
        while kw.len() < n_keywords {
            kw.insert(*rng.pick(&keywords));
        }
        let mut sources = BTreeSet::new();
        let mut body = Vec::new();
        for _ in 0..(6 + rng.below(12)) {
            let from = rng.pick(articles);
            let block = rng.pick(from.body());
            sources.extend(from.sources().iter().map(|c| c.to_string()));
            body.push(match block {
                Block::Heading(t) => format!("## {t}"),
                Block::Paragraph(t) => t.clone(),
                Block::Bullet(t) => format!("- {t}"),
                Block::Numbered(n, t) => format!("{n}. {t}"),
            });
        }
        if sources.is_empty() {
            sources.insert("民法典第1条".to_string());
        }
        let quote = |items: &mut dyn Iterator<Item = &str>| {
            items
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "+++\nid = \"{prefix}-synthetic-{i:05}\"\ntitle = {title:?}\ncategory = \"{category}\"\n\
             keywords = [{}]\nsummary = {:?}\nsources = [{}]\nservices = [\"hotline\"]\n\
             updated = 2026-11-27\n+++\n\n{}\n",
            quote(&mut kw.iter().copied()),
            rng.pick(articles).summary(),
            quote(&mut sources.iter().map(String::as_str)),
            body.join("\n\n"),
        );
        let path: PathBuf = dir.join(category).join(format!("synthetic-{i:05}.md"));
        std::fs::write(path, text).expect("write");
    }
}
