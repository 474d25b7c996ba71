//! When the library cannot be loaded (a corrupt database, broken content),
//! the terminal says so plainly and still offers the 12348 hotline; it never
//! shows a half-filled library.

use crate::common;

use kiosk::audio::Audio;
use kiosk::content::{self, ContentHandle, LoadError};
use kiosk::controller::Kiosk;
use kiosk::{App, AppState, LibraryAdapter, Page};
use kiosk_core::Config;
use slint::{ComponentHandle, Model};

#[test]
fn a_corrupt_database_shows_a_clear_message_instead_of_the_library() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = common::TempDir::new();
    let db = dir.0.join("kiosk.db");
    std::fs::write(
        &db,
        b"this is not an SQLite database, just bytes from a failing disk".repeat(100),
    )
    .unwrap();
    let mut config = Config::default();
    config.storage.database = db.clone();

    let result = content::load(&config);
    let err = result
        .as_ref()
        .err()
        .expect("a corrupt database is an error");
    assert!(matches!(err, LoadError::Storage(_)), "{err}");
    assert!(
        err.to_string().contains("kiosk.db"),
        "the error names the file: {err}"
    );

    let app = App::new().unwrap();
    let handle = ContentHandle::loading();
    handle.finish(result);
    let kiosk = Kiosk::install(&app, &config, handle, Audio::silent());
    kiosk
        .borrow_mut()
        .open(kiosk_core::Screen::Categories, std::time::Instant::now());
    let state = app.global::<AppState>();
    assert_eq!(state.get_page(), Page::Categories);
    assert!(state.get_library_failed());
    assert!(!state.get_library_ready());
    assert_eq!(
        app.global::<LibraryAdapter>().get_categories().row_count(),
        0
    );
    // The database file is left as it was, for a technician to inspect.
    assert!(std::fs::read(&db).unwrap().starts_with(b"this is not"));
}

#[test]
fn a_broken_content_file_fails_the_whole_load_and_names_the_file() {
    let dir = common::TempDir::new();
    let assets = dir.0.join("assets");
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    copy_dir(&real.join("content"), &assets.join("content"));
    copy_dir(&real.join("laws"), &assets.join("laws"));
    std::fs::write(
        assets.join("content/inheritance/inheritance-broken.md"),
        "+++\nid = \"inheritance-broken\"\ntitle = \"没有结束的文件头\"\n",
    )
    .unwrap();
    let mut config = Config::default();
    config.content.assets_dir = assets;
    config.storage.database = dir.0.join("kiosk.db");

    let err = content::load(&config)
        .err()
        .expect("a broken file fails the load");
    assert!(matches!(err, LoadError::Content(_)));
    assert!(err.to_string().contains("inheritance-broken.md"), "{err}");
}

#[test]
fn an_unwritable_database_path_is_reported_with_the_path() {
    let dir = common::TempDir::new();
    let file = dir.0.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let mut config = Config::default();
    // A path below a regular file can never be created, even as root.
    config.storage.database = file.join("kiosk.db");
    let err = content::load(&config).err().expect("unwritable");
    assert!(matches!(err, LoadError::Storage(_)));
    assert!(err.to_string().contains("a-file"), "{err}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
