//! The real driver (`kiosk_idcard::transport::Reader`, real `serialport`
//! code) against the simulator over a pseudo-terminal: cards, statuses,
//! faults, timing.

mod common;

use std::time::{Duration, Instant};

use common::*;
use kiosk_idcard::card::{CardError, CardKind, Expiry, Gender};
use kiosk_idcard::codec::{Baud, Command, Reply, ReplyError, Sw3};
use kiosk_idcard::transport::{Reader, TransportError};
use kiosk_idcard_sim::SAM_ID;

fn status_of(result: Result<impl std::fmt::Debug, TransportError>) -> (Command, Sw3) {
    match result {
        Err(TransportError::Reply(ReplyError::Status { command, status })) => (command, status),
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[test]
fn reads_each_sample_card_type() {
    let sim = sim("types");
    let ctl = sim.control();
    let mut reader = open(&sim);
    let today = chrono::Local::now().date_naive();
    let read = |reader: &mut Reader, key: &str| {
        ctl.place_card(&card(key));
        reader.read_card().unwrap().expect("card present")
    };

    let c = read(&mut reader, "resident");
    assert_eq!(c.kind, CardKind::Resident);
    assert_eq!(c.name, "王小明");
    assert_eq!(c.gender, Gender::Male);
    assert_eq!(c.nation, Some("汉"));
    assert_eq!(c.birth.to_string(), "1985-03-12");
    assert_eq!(c.number.as_str(), "110105198503121234");
    assert_eq!(c.authority, "北京市公安局朝阳分局");
    assert!(!c.is_expired(today));

    let c = read(&mut reader, "resident-rare");
    assert_eq!(c.name, "韦𠮷㛃");
    assert_eq!(c.nation, Some("壮"));
    assert_eq!(c.gender, Gender::Female);
    let address = c.address.as_deref().unwrap();
    assert!(address.contains('𠮷') && address.contains('㛃'));

    let c = read(&mut reader, "resident-longterm");
    assert_eq!(c.valid_to, Expiry::LongTerm);
    assert!(c.birth.to_string().starts_with("194"));
    assert!(!c.is_expired(today));

    let c = read(&mut reader, "resident-expired");
    assert_eq!(c.kind, CardKind::Resident);
    assert!(c.is_expired(today));

    let c = read(&mut reader, "foreign");
    assert_eq!(c.kind, CardKind::ForeignPermanent);
    assert_eq!(c.english_name.as_deref(), Some("MUSTERMANN, ERIKA"));
    assert_eq!(c.name, "穆斯特曼·艾丽卡");
    assert_eq!(c.nationality.as_deref(), Some("DEU"));
    assert_eq!(c.number.as_str().len(), 15);
    assert_eq!(c.birth.to_string(), "1984-08-12");

    let c = read(&mut reader, "hmt");
    assert_eq!(c.kind, CardKind::HkMacaoTaiwan);
    assert!(c.number.as_str().starts_with("810000"));
    assert_eq!(c.pass_number.as_deref(), Some("H12345678"));
    assert_eq!(c.issue_count, Some(1));
    assert_eq!(c.nation, None);
}

#[test]
fn answers_every_command_of_the_reference() {
    let sim = sim("commands");
    let ctl = sim.control();
    let mut reader = open(&sim);
    reader.reset_sam().unwrap();
    reader.sam_status().unwrap();
    assert_eq!(reader.sam_id().unwrap().0, SAM_ID);
    let sample = card("resident");
    ctl.place_card(&sample);
    assert!(reader.find_card().unwrap());
    assert_eq!(reader.select_card().unwrap(), sample.serial);
    match reader.exchange(Command::ReadTextWithFingerprint).unwrap() {
        Reply::CardText(block) => assert_eq!(block, sample.text),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(reader.read_extra_address().unwrap(), None);
    reader.set_baud(Baud::B115200).unwrap();
    assert_eq!(reader.read_text().unwrap().name, "王小明");
}

#[test]
fn faulty_cards_are_reported_as_errors() {
    let sim = sim("faulty");
    let ctl = sim.control();
    let mut reader = open(&sim);
    ctl.place_card(&card("bad-check"));
    assert!(matches!(
        reader.read_card(),
        Err(TransportError::Card(CardError::BadCheckCharacter))
    ));
    ctl.place_card(&card("bad-date"));
    assert!(matches!(
        reader.read_card(),
        Err(TransportError::Card(CardError::ImpossibleDate {
            field: "birth"
        }))
    ));
}

#[test]
fn no_card_means_find_false() {
    let sim = sim("nocard");
    let mut reader = open(&sim);
    assert!(!reader.find_card().unwrap());
    assert!(reader.read_card().unwrap().is_none());
    assert_eq!(
        status_of(reader.select_card()),
        (Command::SelectCard, Sw3::SelectFailed)
    );
}

#[test]
fn skipping_find_or_select_fails_like_a_real_reader() {
    let sim = sim("order");
    let ctl = sim.control();
    let mut reader = open(&sim);
    ctl.place_card(&card("resident"));
    assert_eq!(
        status_of(reader.select_card()),
        (Command::SelectCard, Sw3::SelectFailed)
    );
    assert!(reader.find_card().unwrap());
    assert_eq!(
        status_of(reader.read_text()),
        (Command::ReadText, Sw3::ReadFailed)
    );
    reader.select_card().unwrap();
    reader.read_text().unwrap();
    // Removing the card resets the select state, even if it comes back.
    ctl.remove_card();
    ctl.place_card(&card("resident"));
    assert_eq!(
        status_of(reader.read_text()),
        (Command::ReadText, Sw3::ReadFailed)
    );
    assert!(reader.read_card().unwrap().is_some());
}

#[test]
fn every_sw3_failure_injected_on_read_reaches_the_driver() {
    let sim = sim("sw3");
    let ctl = sim.control();
    let mut reader = open(&sim);
    ctl.place_card(&card("resident"));
    let statuses = Sw3::ALL_KNOWN
        .into_iter()
        .filter(|s| *s != Sw3::Ok)
        .chain([Sw3::Unknown(0x55)]);
    for sw3 in statuses {
        ctl.fail_command(Command::ReadText, sw3);
        assert!(reader.find_card().unwrap());
        reader.select_card().unwrap();
        assert_eq!(
            status_of(reader.read_text()),
            (Command::ReadText, sw3),
            "{sw3}"
        );
    }
    // Sticky until cleared, and for other commands too.
    ctl.fail_command(Command::FindCard, Sw3::SamNotAuthorized);
    assert_eq!(
        status_of(reader.find_card()),
        (Command::FindCard, Sw3::SamNotAuthorized)
    );
    assert_eq!(
        status_of(reader.find_card()),
        (Command::FindCard, Sw3::SamNotAuthorized)
    );
    ctl.fail_command(Command::SamStatus, Sw3::SamSelfTestFailed);
    assert_eq!(
        status_of(reader.sam_status()),
        (Command::SamStatus, Sw3::SamSelfTestFailed)
    );
    ctl.clear_failures();
    assert!(reader.read_card().unwrap().is_some());
}

#[test]
fn a_slow_reply_within_the_timeout_still_reads() {
    let sim = sim("slow");
    let ctl = sim.control();
    let mut cfg = config(&sim);
    cfg.command_timeout = Duration::from_secs(5);
    cfg.read_timeout = Duration::from_secs(5);
    let mut reader = Reader::open(&cfg).unwrap();
    ctl.place_card(&card("resident"));
    ctl.set_reply_delay(Duration::from_millis(150));
    let start = Instant::now();
    assert!(reader.read_card().unwrap().is_some());
    // Three replies, each delayed.
    assert!(start.elapsed() >= Duration::from_millis(450));
}

#[test]
fn a_reply_beyond_the_timeout_times_out() {
    let sim = sim("tooslow");
    let ctl = sim.control();
    let mut cfg = config(&sim);
    cfg.command_timeout = Duration::from_millis(200);
    let mut reader = Reader::open(&cfg).unwrap();
    ctl.place_card(&card("resident"));
    ctl.set_reply_delay(Duration::from_millis(1500));
    let served = ctl.requests_served();
    let err = reader.find_card().unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                command: Command::FindCard
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_disconnect());
    // The late answer goes out after the driver gave up; once it has, the
    // line is clean again.
    ctl.set_reply_delay(Duration::ZERO);
    wait_until("the late reply", || ctl.requests_served() > served);
    cfg.command_timeout = Duration::from_secs(5);
    let mut reader = Reader::open(&cfg).unwrap();
    assert!(reader.read_card().unwrap().is_some());
}

#[test]
fn noise_before_a_reply_is_skipped() {
    let sim = sim("noise");
    let ctl = sim.control();
    let mut reader = open(&sim);
    ctl.place_card(&card("resident"));
    let noise = vec![
        0x00, 0xFF, 0xAA, 0x55, // garbage
        0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, // preamble, impossible length
        0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, // preamble, plausible length
        0xAA, 0xAA, // half a preamble
    ];
    ctl.noise_before_next_reply(noise.clone());
    assert!(reader.find_card().unwrap());
    ctl.noise_before_next_reply(noise.clone());
    reader.select_card().unwrap();
    ctl.noise_before_next_reply(noise);
    assert_eq!(reader.read_text().unwrap().name, "王小明");
}

#[test]
fn dropped_bytes_give_a_clean_error_and_the_next_read_works() {
    let sim = sim("drop");
    let ctl = sim.control();
    let mut cfg = config(&sim);
    cfg.read_timeout = Duration::from_secs(1);
    let mut reader = Reader::open(&cfg).unwrap();
    ctl.place_card(&card("resident"));
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    ctl.drop_bytes_of_next_reply(100);
    let err = reader.read_text().unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                command: Command::ReadText
            } | TransportError::Frame(_)
        ),
        "{err:?}"
    );
    assert!(!err.is_disconnect());
    assert!(reader.read_card().unwrap().is_some());

    // A short reply losing a few bytes, too.
    ctl.drop_bytes_of_next_reply(3);
    assert!(reader.find_card().is_err());
    assert!(reader.read_card().unwrap().is_some());
}

#[test]
fn a_corrupted_checksum_gives_a_clean_error_and_the_next_read_works() {
    let sim = sim("corrupt");
    let ctl = sim.control();
    let mut cfg = config(&sim);
    cfg.read_timeout = Duration::from_secs(1);
    let mut reader = Reader::open(&cfg).unwrap();
    ctl.place_card(&card("resident"));
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    ctl.corrupt_next_reply();
    let err = reader.read_text().unwrap_err();
    assert!(matches!(err, TransportError::Frame(_)), "{err:?}");
    assert!(reader.read_card().unwrap().is_some());
}

#[test]
fn pacing_a_1295_byte_reply_at_115200_takes_at_least_112_ms() {
    let sim = sim("pace");
    let ctl = sim.control();
    let mut reader = open(&sim);
    ctl.place_card(&card("resident"));
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    let sent = ctl.bytes_sent();
    let start = Instant::now();
    reader.read_text().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(ctl.bytes_sent() - sent, 1295);
    // 1295 bytes * 10 bits / 115200 bit/s = 112.41 ms.
    assert!(elapsed >= Duration::from_micros(112_413), "{elapsed:?}");
}

#[test]
fn set_baud_changes_the_pace() {
    let sim = sim("baud");
    let ctl = sim.control();
    let mut cfg = config(&sim);
    cfg.read_timeout = Duration::from_secs(10);
    let mut reader = Reader::open(&cfg).unwrap();
    ctl.place_card(&card("resident"));
    reader.set_baud(Baud::B38400).unwrap();
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    let start = Instant::now();
    reader.read_text().unwrap();
    // 1295 * 10 / 38400 = 337.2 ms.
    assert!(start.elapsed() >= Duration::from_micros(337_239));
    reader.set_baud(Baud::B115200).unwrap();
}

#[test]
fn unplug_fails_the_open_port_and_replug_gives_a_fresh_pty() {
    let sim = sim("plug");
    let ctl = sim.control();
    let cfg = config(&sim);
    let mut reader = open(&sim);
    assert!(ctl.is_plugged());
    ctl.unplug();
    assert!(!ctl.is_plugged());
    let err = reader.sam_status().unwrap_err();
    assert!(err.is_disconnect(), "{err:?}");
    assert!(std::fs::symlink_metadata(sim.port_path()).is_err());
    assert!(matches!(
        Reader::open(&cfg),
        Err(TransportError::Open { .. })
    ));
    ctl.replug();
    assert!(ctl.is_plugged());
    let target = std::fs::read_link(sim.port_path()).unwrap();
    assert!(target.starts_with("/dev/pts"), "{target:?}");
    let mut reader = Reader::open(&cfg).unwrap();
    reader.sam_status().unwrap();
    ctl.place_card(&card("resident"));
    assert!(reader.read_card().unwrap().is_some());
}

#[test]
fn the_port_can_be_closed_and_opened_again() {
    let sim = sim("reopen");
    let ctl = sim.control();
    ctl.place_card(&card("resident"));
    for _ in 0..3 {
        let mut reader = open(&sim);
        assert!(reader.read_card().unwrap().is_some());
    }
}

#[test]
fn without_a_link_the_port_path_is_the_pty() {
    let sim = kiosk_idcard_sim::SimReader::start(kiosk_idcard_sim::SimOptions {
        link: None,
        baud: 0,
    })
    .unwrap();
    let ctl = sim.control();
    let first = sim.port_path();
    assert!(first.starts_with("/dev/pts"), "{first:?}");
    let mut reader = Reader::open(&kiosk_idcard::transport::ReaderConfig::new(
        first.to_str().unwrap(),
    ))
    .unwrap();
    reader.sam_status().unwrap();
    ctl.unplug();
    assert!(!first.exists());
    ctl.replug();
    let second = sim.port_path();
    assert!(second.exists());
    let mut reader = Reader::open(&kiosk_idcard::transport::ReaderConfig::new(
        second.to_str().unwrap(),
    ))
    .unwrap();
    reader.sam_status().unwrap();
}

#[test]
fn the_sam_id_reads_in_the_vendor_form() {
    let sim = sim("samid");
    let mut reader = open(&sim);
    assert_eq!(
        reader.sam_id().unwrap().to_string(),
        "05.01-20240101-0000012345-0000067890"
    );
}
