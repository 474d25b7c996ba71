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
        "15-identify-card-read",
        "18-receipt-preview",
        "21-consult-waiting-nobody-on-duty",
        "23-consult-message-sent",
        "24-consult-hub-unreachable",
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

// ---- technician commands, against the simulated devices on ptys ----

fn sim_reader(tag: &str) -> kiosk_idcard_sim::SimReader {
    let link = std::env::temp_dir().join(format!("kiosk-cli-{tag}-{}", std::process::id()));
    kiosk_idcard_sim::SimReader::start(kiosk_idcard_sim::SimOptions {
        link: Some(link),
        baud: 0,
    })
    .unwrap()
}

fn sim_printer(tag: &str) -> kiosk_printer_sim::SimPrinter {
    let link = std::env::temp_dir().join(format!("kiosk-cli-{tag}-{}", std::process::id()));
    kiosk_printer_sim::SimPrinter::start(kiosk_printer_sim::SimPrinterOptions {
        link: Some(link),
        ..kiosk_printer_sim::SimPrinterOptions::new(&kiosk_printer::profile::Profile::GENERIC_80)
    })
    .unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = kiosk().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn idcard_status_reports_the_reader_and_its_sam_id() {
    let sim = sim_reader("status");
    let port = sim.port_path();
    let (code, out, err) = run(&["idcard", "status", "--port", port.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ready") && out.contains("SAM id"), "{out}");
}

#[test]
fn idcard_read_prints_the_card_with_the_number_masked_unless_asked() {
    let sim = sim_reader("read");
    sim.control()
        .place_card(&kiosk_idcard_sim::samples::by_key("resident").unwrap());
    let port = sim.port_path();
    let port = port.to_str().unwrap();
    let (code, out, err) = run(&["idcard", "read", "--port", port, "--json"]);
    assert_eq!(code, 0, "{err}");
    let card: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let number = card["number"].as_str().unwrap();
    assert_eq!(number.chars().count(), 18);
    assert!(number.contains("***********"), "{number}");
    assert_eq!(card["number_masked"], true);
    assert_eq!(card["type"], "居民身份证");

    let (code, out, _) = run(&["idcard", "read", "--port", port, "--json", "--unmasked"]);
    assert_eq!(code, 0);
    let card: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(!card["number"].as_str().unwrap().contains('*'));
}

#[test]
fn idcard_read_without_a_card_gives_up_with_a_clear_message() {
    let sim = sim_reader("nocard");
    let port = sim.port_path();
    let (code, _, err) = run(&[
        "idcard",
        "read",
        "--port",
        port.to_str().unwrap(),
        "--wait",
        "1",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no card on the reader"), "{err}");
}

#[test]
fn a_missing_reader_port_is_named_in_the_error() {
    let (code, _, err) = run(&["idcard", "status", "--port", "/dev/kiosk-no-such-port"]);
    assert_eq!(code, 1);
    assert!(err.contains("/dev/kiosk-no-such-port"), "{err}");
}

#[test]
fn printer_status_and_test_page_work_on_the_simulated_printer() {
    let sim = sim_printer("printer");
    let port = sim.port_path();
    let port = port.to_str().unwrap();
    let (code, out, err) = run(&[
        "printer",
        "status",
        "--port",
        port,
        "--profile",
        "generic-80",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ready"), "{out}");

    let (code, out, err) = run(&["printer", "test", "--port", port, "--profile", "generic-80"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("test page printed"), "{out}");
    let printed = sim
        .control()
        .wait_for_receipts(1, std::time::Duration::from_secs(20));
    let text = &printed[0].transcript;
    for expected in [
        "打印机测试页",
        "[QR",
        "[BARCODE",
        "[raster",
        "￥12.50",
        "倍高",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[test]
fn printer_status_says_what_is_wrong() {
    let sim = sim_printer("paperout");
    sim.control().set_paper(kiosk_printer_sim::PaperState::Out);
    let port = sim.port_path();
    let (code, out, err) = run(&["printer", "status", "--port", port.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("NOT READY") && out.contains("paper out: yes"),
        "{out}"
    );
}

#[test]
fn sim_commands_are_checked_and_need_running_simulators() {
    let dir = std::env::temp_dir().join(format!("kiosk-cli-sim-{}", std::process::id()));
    let out = kiosk()
        .args(["sim", "card", "place", "nobody"])
        .env("KIOSK_STORAGE_DATABASE", dir.join("kiosk.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("resident"));
    let out = kiosk()
        .args(["sim", "card", "remove"])
        .env("KIOSK_STORAGE_DATABASE", dir.join("kiosk.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kiosk sim"));
}

#[test]
fn kiosk_sim_runs_the_devices_and_answers_commands_from_another_shell() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("kiosk-cli-simrun-{}", std::process::id()));
    let mut child = kiosk()
        .arg("sim")
        .env("KIOSK_STORAGE_DATABASE", dir.join("kiosk.db"))
        .env("KIOSK_PRINTER_SIM_OUTPUT_DIR", dir.join("printed"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let socket = dir.join("sim/control.sock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !socket.exists() {
        assert!(std::time::Instant::now() < deadline, "no control socket");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = kiosk()
        .args(["sim", "card", "place", "hmt"])
        .env("KIOSK_STORAGE_DATABASE", dir.join("kiosk.db"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("card hmt placed"));
    let port = dir.join("sim/idcard");
    let (code, out, err) = run(&["idcard", "read", "--port", port.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("港澳台居民居住证"), "{out}");
    child.stdin.take().unwrap().write_all(b"status\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("simulated ID-card reader"), "{stdout}");
    assert!(stdout.contains("card: hmt"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn printer_queue_lists_waiting_receipts_and_cancels_one() {
    let dir = std::env::temp_dir().join(format!("kiosk-cli-queue-{}", std::process::id()));
    let db = dir.join("kiosk.db");
    {
        let mut queue = kiosk::printing::queue::PrintQueue::open(&db, "test").unwrap();
        let job = kiosk::printing::queue::NewJob {
            kind: "article",
            title: "article marriage-betrothal-gifts",
            session: 1,
            escpos: b"\x1b@",
            profile: "generic-80",
        };
        let id = queue.enqueue(&job, "20261127-0001").unwrap();
        queue.mark_failed(id, "paper-out").unwrap();
    }
    let queue_cmd = |args: &[&str]| {
        let out = kiosk()
            .args(["printer", "queue"])
            .args(args)
            .env("KIOSK_STORAGE_DATABASE", &db)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = queue_cmd(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("20261127-0001") && out.contains("paper-out"),
        "{out}"
    );
    let (code, _, err) = queue_cmd(&["--cancel", "999"]);
    assert_eq!(code, 1);
    assert!(err.contains("no waiting receipt with id 999"), "{err}");
    let (code, out, _) = queue_cmd(&["--cancel-all"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("cancelled receipt") && out.contains("no receipts waiting"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
