//! Raw bytes from the host, below the driver: malformed requests get the
//! reference's status words, and no byte sequence stops the simulator.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use kiosk_idcard::codec::{Command, FrameDecoder, Sw3, encode_frame, parse_reply};
use serialport::SerialPort;

fn raw_port(sim: &Sim) -> Box<dyn SerialPort> {
    serialport::new(sim.port_path().to_str().unwrap(), 115_200)
        .timeout(Duration::from_millis(50))
        .exclusive(false)
        .open()
        .unwrap()
}

/// Reads reply frames until one arrives or `timeout` passes.
fn read_status(port: &mut dyn SerialPort, timeout: Duration) -> Option<Sw3> {
    let mut decoder = FrameDecoder::new();
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        if let Some(Ok(frame)) = decoder.next_frame() {
            return Some(parse_reply(&frame).unwrap().sw3);
        }
        if let Ok(n) = port.read(&mut buf) {
            decoder.push(&buf[..n]);
        }
    }
    None
}

#[test]
fn a_request_with_a_bad_checksum_gets_10_and_an_unknown_command_21() {
    let sim = sim("raw-status");
    let mut port = raw_port(&sim);
    let mut bad = Command::SamStatus.encode();
    *bad.last_mut().unwrap() ^= 0x5A;
    port.write_all(&bad).unwrap();
    assert_eq!(
        read_status(&mut *port, PATIENCE),
        Some(Sw3::HostChecksumError)
    );
    // 01 FF: the reset that one public driver sends by mistake.
    port.write_all(&encode_frame(&[0x01, 0xFF])).unwrap();
    assert_eq!(read_status(&mut *port, PATIENCE), Some(Sw3::BadCommand));
    port.write_all(&encode_frame(&[0x60, 0x07])).unwrap();
    assert_eq!(read_status(&mut *port, PATIENCE), Some(Sw3::BadCommand));
    port.write_all(&Command::SamStatus.encode()).unwrap();
    assert_eq!(read_status(&mut *port, PATIENCE), Some(Sw3::Ok));
}

#[test]
fn arbitrary_bytes_from_the_host_never_break_the_reader() {
    let sim = sim("raw-garbage");
    let ctl = sim.control();
    ctl.place_card(&card("resident"));
    let mut port = raw_port(&sim);
    // xorshift: deterministic garbage with preambles sprinkled in, some
    // followed by absurd lengths, some by half frames.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut garbage = Vec::new();
    for i in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        garbage.push(x as u8);
        if i % 997 == 0 {
            garbage.extend_from_slice(&[0xAA, 0xAA, 0xAA, 0x96, 0x69]);
            garbage.extend_from_slice(&((x >> 8) as u16).to_be_bytes());
        }
    }
    garbage.extend_from_slice(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x0F, 0xFF, 0x20]);
    let mut sink = [0u8; 4096];
    for chunk in garbage.chunks(1000) {
        port.write_all(chunk).unwrap();
        // Keep the reader's replies to the garbage from filling the line.
        while matches!(port.read(&mut sink), Ok(n) if n > 0) {}
    }
    // The reader still answers (a half frame it waits on is dropped after
    // its inter-byte timeout, so ask again until it answers ok).
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "the reader stopped answering");
        let _ = port.clear(serialport::ClearBuffer::Input);
        port.write_all(&Command::SamStatus.encode()).unwrap();
        if read_status(&mut *port, Duration::from_millis(500)) == Some(Sw3::Ok) {
            break;
        }
    }
    drop(port);
    let mut reader = open(&sim);
    assert!(reader.read_card().unwrap().is_some());
    assert!(ctl.bytes_received() >= garbage.len() as u64);
}

/// `serialport` opens exclusively by default (`TIOCEXCL`) and clears the
/// flag when it closes the port; a client that dies holding the port never
/// clears it, and on a pty the flag outlives the descriptor, so every later
/// unprivileged open would fail with `EBUSY`. The simulator clears the flag
/// itself (within 50 ms). Root ignores the flag: this test proves something
/// only when run unprivileged (it was, by hand, with `setpriv`).
#[test]
fn a_client_that_died_holding_the_port_exclusively_does_not_lock_it_out() {
    use std::os::fd::IntoRawFd;
    let sim = sim("raw-exclusive");
    let path = sim.port_path();
    let port = serialport::new(path.to_str().unwrap(), 115_200)
        .open_native()
        .unwrap();
    // Close the descriptor the way a killed process does: no TIOCNXCL.
    let fd = port.into_raw_fd();
    // SAFETY: `fd` is open and owned by nobody else after `into_raw_fd`.
    unsafe { libc::close(fd) };
    let mut reopened = None;
    wait_until("the port to open again", || {
        reopened = serialport::new(path.to_str().unwrap(), 115_200)
            .timeout(Duration::from_millis(50))
            .open()
            .ok();
        reopened.is_some()
    });
    let mut port = reopened.unwrap();
    port.write_all(&Command::SamStatus.encode()).unwrap();
    assert_eq!(read_status(&mut *port, PATIENCE), Some(Sw3::Ok));
}
