//! The simulator thread sleeps while idle: with the port open, closed, or
//! unplugged it never spins. Its own test binary, so this process has one
//! `idcard-sim` thread to measure.

mod common;

use std::time::Duration;

use common::*;

/// User plus system CPU time of the thread named `idcard-sim`, in clock
/// ticks (usually 10 ms). A new thread names itself once it runs, so this
/// waits for the name to appear.
fn sim_thread_ticks() -> u64 {
    let mut ticks = None;
    wait_until("the idcard-sim thread", || {
        ticks = find_sim_thread_ticks();
        ticks.is_some()
    });
    ticks.unwrap()
}

fn find_sim_thread_ticks() -> Option<u64> {
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != "idcard-sim" {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
        // Fields after the parenthesised name; utime and stime are the 14th
        // and 15th fields of the whole line.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        return Some(fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap());
    }
    None
}

/// CPU ticks the thread uses over one second of wall time. This measures
/// the thread's own CPU time, so a loaded machine does not inflate it.
fn ticks_over_a_second() -> u64 {
    let before = sim_thread_ticks();
    std::thread::sleep(Duration::from_secs(1));
    sim_thread_ticks() - before
}

#[test]
fn the_idle_simulator_does_not_spin() {
    let sim = sim("cpu");
    let ctl = sim.control();
    ctl.place_card(&card("resident"));

    // Nobody has the port open.
    assert!(ticks_over_a_second() < 10);

    // The driver holds the port open but sends nothing.
    let mut reader = open(&sim);
    assert!(reader.read_card().unwrap().is_some());
    assert!(ticks_over_a_second() < 10);
    drop(reader);

    // The driver closed the port again.
    assert!(ticks_over_a_second() < 10);

    // Unplugged, with a driver port left open on the dead pty.
    let reader = open(&sim);
    ctl.unplug();
    assert!(ticks_over_a_second() < 10);
    drop(reader);
}
