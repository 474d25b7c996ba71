//! Frame decoder throughput on a realistic reader stream.
//!
//! The stream is what a polling kiosk receives: mostly find replies ("no
//! card", 11 bytes), with now and then a full read (find 15, select 19 and
//! the 1,295-byte text+photo reply), a SAM status reply, and a little line
//! noise between frames. It is fed in random chunk sizes (1 to 64 bytes, as
//! a UART driver hands them over) and every frame is parsed and interpreted,
//! so the figure covers the whole codec path, not only the preamble scan.
//!
//! Run with `cargo bench -p kiosk-idcard --bench decoder`. Prints one table.
//! For scale: the wire itself carries 11,520 bytes/s at 115200 baud (8N1),
//! so anything above about 0.01 MB/s keeps up.

use std::time::{Duration, Instant};

use kiosk_idcard::codec::{Command, FrameDecoder, encode_reply, interpret, parse_reply};

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn read_reply(rng: &mut Rng) -> Vec<u8> {
    let mut data = vec![0x01, 0x00, 0x04, 0x00];
    data.extend((0..256 + 1024).map(|_| rng.next() as u8));
    encode_reply(0x90, &data)
}

/// The stream and the commands whose replies it holds, in order.
fn realistic_stream(target_bytes: usize) -> (Vec<u8>, Vec<Command>) {
    let mut rng = Rng(0x1D_CA2D);
    let mut stream = Vec::with_capacity(target_bytes + 4096);
    let mut commands = Vec::new();
    while stream.len() < target_bytes {
        match rng.below(10) {
            // A card placement: find, select, read.
            0 | 1 => {
                stream.extend(encode_reply(0x9F, &[0; 4]));
                stream.extend(encode_reply(0x90, &rng.next().to_le_bytes()));
                stream.extend(read_reply(&mut rng));
                commands.extend([Command::FindCard, Command::SelectCard, Command::ReadText]);
            }
            2 => {
                stream.extend(encode_reply(0x90, &[]));
                commands.push(Command::SamStatus);
            }
            _ => {
                stream.extend(encode_reply(0x80, &[]));
                commands.push(Command::FindCard);
            }
        }
        if rng.below(8) == 0 {
            // Noise without a complete preamble.
            let n = rng.below(16) as usize;
            stream.extend((0..n).map(|i| if i % 5 == 4 { 0x00 } else { rng.next() as u8 }));
        }
    }
    (stream, commands)
}

fn chunk_sizes(rng: &mut Rng, total: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut sum = 0;
    while sum < total {
        let n = 1 + rng.below(64) as usize;
        sizes.push(n);
        sum += n;
    }
    sizes
}

/// Decodes the whole stream once; returns the number of frames.
fn decode(stream: &[u8], sizes: &[usize], commands: &[Command]) -> usize {
    let mut decoder = FrameDecoder::new();
    let mut frames = 0;
    let mut offset = 0;
    for &n in sizes {
        let end = (offset + n).min(stream.len());
        decoder.push(&stream[offset..end]);
        offset = end;
        while let Some(item) = decoder.next_frame() {
            let Ok(frame) = item else { continue };
            let command = commands.get(frames).copied().unwrap_or(Command::FindCard);
            if let Ok(raw) = parse_reply(&frame) {
                std::hint::black_box(interpret(command, raw).ok());
            }
            frames += 1;
        }
    }
    frames
}

fn main() {
    let (stream, commands) = realistic_stream(8 << 20);
    let mut rng = Rng(42);
    let sizes = chunk_sizes(&mut rng, stream.len());
    let rounds = 5;
    let mut best = Duration::MAX;
    let mut frames = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        frames = decode(&stream, &sizes, &commands);
        best = best.min(start.elapsed());
    }
    assert_eq!(frames, commands.len(), "every frame decoded");
    let mb = stream.len() as f64 / 1e6;
    let seconds = best.as_secs_f64();
    let wire_seconds = stream.len() as f64 * 10.0 / 115_200.0;
    println!("| stream | frames | chunks | best of {rounds} | throughput | vs 115200-baud wire |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| {mb:.1} MB | {frames} | 1-64 B | {:.1} ms | {:.0} MB/s | {:.0}x |",
        seconds * 1e3,
        mb / seconds,
        wire_seconds / seconds
    );
}
