//! The `kiosk` command as a technician meets it: clear one-line errors for a
//! missing display or a wrong configuration, never a panic.

use std::process::Command;

fn kiosk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosk"));
    cmd.env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("RUST_LOG", "off")
        .current_dir(std::env::temp_dir());
    cmd
}

fn stderr_of(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("kiosk runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_a_display_it_says_so_in_one_line_and_points_to_screenshot() {
    let (code, err) = stderr_of(&mut kiosk());
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("no display") && err.contains("kiosk screenshot"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_wrong_configuration_value_names_the_field_and_the_accepted_values() {
    let dir = std::env::temp_dir().join(format!("kiosk-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kiosk.toml");
    std::fs::write(&file, "[terminal]\norientation = \"upside-down\"\n").unwrap();
    let (code, err) = stderr_of(kiosk().arg("--config").arg(&file));
    assert_eq!(code, 2);
    assert!(
        err.contains("orientation") && err.contains("portrait"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_environment_override_out_of_range_is_rejected_at_start() {
    let (code, err) = stderr_of(kiosk().env("KIOSK_SESSION_IDLE_TIMEOUT_SECS", "1"));
    assert_eq!(code, 2);
    assert!(err.contains("session.idle_timeout_secs"), "{err}");
}

#[test]
fn a_missing_configuration_file_given_explicitly_is_an_error() {
    let (code, err) = stderr_of(kiosk().arg("--config").arg("/nonexistent/kiosk.toml"));
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/kiosk.toml"), "{err}");
}

#[test]
fn screenshot_renders_every_screen_to_png_without_a_display() {
    let dir = std::env::temp_dir().join(format!("kiosk-shots-test-{}", std::process::id()));
    let out = kiosk()
        .arg("screenshot")
        .arg("--out")
        .arg(&dir)
        .env("KIOSK_STORAGE_DATABASE", dir.join("kiosk.db"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    for screen in [
        "01-home",
        "02-categories",
        "03-article-list",
        "04-article",
        "06-search-results",
        "07-search-no-results",
        "09-elder-mode-home",
        "11-idle-countdown",
        "13-home-landscape",
    ] {
        let path = dir.join(format!("{screen}.png"));
        assert!(
            listed.iter().any(|l| l.ends_with(&format!("{screen}.png"))),
            "{screen} listed"
        );
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        // IHDR: width and height, big-endian, at bytes 16..24.
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        let expected = if screen.ends_with("landscape") {
            (1920, 1080)
        } else {
            (1080, 1920)
        };
        assert_eq!((width, height), expected, "{screen}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
