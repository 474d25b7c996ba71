//! Where outgoing media comes from: a camera or a synthetic test pattern for
//! video, a microphone or a synthetic tone for audio.
//!
//! Sources are plain blocking Rust objects that live on the encoder thread
//! (they need not be `Sync`, only `Send` to move there once). A source that is
//! driven by a device clock (a V4L2 camera, an ALSA microphone) blocks in
//! `next_frame` until data is ready and reports `device_paced() == true`; a
//! synthetic source returns at once and the encoder thread paces it in real
//! time.
//!
//! The real devices are [`crate::camera::Camera`] (V4L2, YUYV or MJPEG
//! converted to I420) and [`crate::microphone::Microphone`] (cpal, any
//! format mixed to mono and resampled to 48 kHz); [`crate::MediaSources::detect`]
//! picks them when present and these synthetic sources otherwise. The
//! wrappers in [`crate::tap`] (mute, camera off, self-view) work on any
//! source, boxed ones included.

/// Audio sample rate used everywhere in this crate (Opus' native rate).
pub const AUDIO_SAMPLE_RATE: u32 = 48_000;
/// Samples per outgoing audio frame: 20 ms at 48 kHz, mono.
pub const AUDIO_FRAME_SAMPLES: usize = 960;

/// One planar YUV 4:2:0 (I420) picture, the encoder's input format.
#[derive(Clone, Debug)]
pub struct I420Frame {
    pub width: u32,
    pub height: u32,
    /// Y plane (`width * height`), then U and V planes
    /// (`(width / 2) * (height / 2)` each), tightly packed.
    pub data: Vec<u8>,
}

impl I420Frame {
    /// A black picture of the given (even) size.
    pub fn new(width: u32, height: u32) -> Self {
        let luma = (width * height) as usize;
        let chroma = ((width / 2) * (height / 2)) as usize;
        let mut data = vec![16u8; luma + 2 * chroma];
        data[luma..].fill(128);
        Self {
            width,
            height,
            data,
        }
    }

    /// Length in bytes of a frame of this size.
    pub fn byte_len(width: u32, height: u32) -> usize {
        (width * height) as usize + 2 * ((width / 2) * (height / 2)) as usize
    }
}

/// Error of a media source; the encoder thread logs it and stops sending that
/// kind of media (the call itself goes on).
#[derive(Debug, thiserror::Error)]
#[error("media source: {0}")]
pub struct SourceError(pub String);

/// A source of video pictures.
pub trait VideoSource: Send + 'static {
    /// Picture size; must be even in both directions and stay constant.
    fn size(&self) -> (u32, u32);
    /// Nominal frames per second.
    fn fps(&self) -> u32;
    /// True when `next_frame` blocks until the device delivers a picture;
    /// false when the caller must pace calls in real time.
    fn device_paced(&self) -> bool {
        false
    }
    /// Fills `frame` (already allocated at [`VideoSource::size`]) with the next picture.
    fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError>;
}

/// A source of 48 kHz mono audio in 20 ms frames.
pub trait AudioSource: Send + 'static {
    /// True when `next_frame` blocks on a device clock (see [`VideoSource::device_paced`]).
    fn device_paced(&self) -> bool {
        false
    }
    /// Fills `out` ([`AUDIO_FRAME_SAMPLES`] samples) with the next 20 ms.
    fn next_frame(&mut self, out: &mut [i16]) -> Result<(), SourceError>;
}

impl<T: VideoSource + ?Sized> VideoSource for Box<T> {
    fn size(&self) -> (u32, u32) {
        (**self).size()
    }
    fn fps(&self) -> u32 {
        (**self).fps()
    }
    fn device_paced(&self) -> bool {
        (**self).device_paced()
    }
    fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
        (**self).next_frame(frame)
    }
}

impl<T: AudioSource + ?Sized> AudioSource for Box<T> {
    fn device_paced(&self) -> bool {
        (**self).device_paced()
    }
    fn next_frame(&mut self, out: &mut [i16]) -> Result<(), SourceError> {
        (**self).next_frame(out)
    }
}

/// Synthetic camera: moving colour bars, a bouncing square and the frame
/// number drawn in large digits, so a viewer (or a test) sees at once that
/// pictures move and none are repeated.
pub struct TestPattern {
    width: u32,
    height: u32,
    fps: u32,
    counter: u64,
}

impl TestPattern {
    /// A pattern of the given size (rounded down to even numbers, at least 16x16).
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        Self {
            width: (width.max(16)) & !1,
            height: (height.max(16)) & !1,
            fps: fps.clamp(1, 60),
            counter: 0,
        }
    }

    /// Frames produced so far.
    pub fn frames(&self) -> u64 {
        self.counter
    }
}

impl Default for TestPattern {
    /// 640x480 at 30 fps.
    fn default() -> Self {
        Self::new(640, 480, 30)
    }
}

/// 3x5 bitmaps of the digits 0-9, one row per entry, bit 2 = left column.
const DIGITS: [[u8; 5]; 10] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
];

impl VideoSource for TestPattern {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn fps(&self) -> u32 {
        self.fps
    }

    fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
        let (w, h) = (self.width as usize, self.height as usize);
        let needed = I420Frame::byte_len(self.width, self.height);
        if frame.data.len() != needed {
            frame.data.resize(needed, 0);
        }
        frame.width = self.width;
        frame.height = self.height;
        let n = self.counter as usize;
        let (y_plane, chroma) = frame.data.split_at_mut(w * h);
        let (u_plane, v_plane) = chroma.split_at_mut((w / 2) * (h / 2));

        // Luma: diagonal bars scrolling to the right.
        for (row, line) in y_plane.chunks_exact_mut(w).enumerate() {
            for (col, px) in line.iter_mut().enumerate() {
                let band = ((col + row / 2 + n * 4) / 40) % 6;
                *px = 40 + (band as u8) * 32;
            }
        }
        // Chroma: slowly rotating tint per band.
        for (row, (u_line, v_line)) in u_plane
            .chunks_exact_mut(w / 2)
            .zip(v_plane.chunks_exact_mut(w / 2))
            .enumerate()
        {
            for (col, (u, v)) in u_line.iter_mut().zip(v_line.iter_mut()).enumerate() {
                let band = ((col * 2 + row + n * 4) / 40) % 6;
                *u = (64 + band * 24 + n % 64) as u8;
                *v = (192 - band * 24) as u8;
            }
        }
        // A white square bouncing horizontally.
        let side = (h / 6).max(4);
        let span = w.saturating_sub(side).max(1);
        let pos = n * 6 % (2 * span);
        let x0 = if pos < span { pos } else { 2 * span - pos };
        let y0 = h / 2 - side / 2;
        for line in y_plane.chunks_exact_mut(w).skip(y0).take(side) {
            line[x0..(x0 + side).min(w)].fill(235);
        }
        // The frame number, drawn in black on white in the top-left corner.
        let scale = (h / 60).max(2);
        let text = self.counter.to_string();
        let (tx, ty) = (scale * 2, scale * 2);
        let box_w = (text.len() * 4 * scale + scale).min(w - tx);
        for line in y_plane.chunks_exact_mut(w).skip(ty - scale).take(7 * scale) {
            line[tx - scale..tx - scale + box_w].fill(235);
        }
        for (i, ch) in text.bytes().enumerate() {
            let digit = &DIGITS[(ch - b'0') as usize];
            for (dr, bits) in digit.iter().enumerate() {
                for dc in 0..3 {
                    if bits & (4 >> dc) == 0 {
                        continue;
                    }
                    let x = tx + (i * 4 + dc) * scale;
                    let y = ty + dr * scale;
                    if x + scale > w || y + scale > h {
                        continue;
                    }
                    for line in y_plane.chunks_exact_mut(w).skip(y).take(scale) {
                        line[x..x + scale].fill(16);
                    }
                }
            }
        }
        self.counter += 1;
        Ok(())
    }
}

/// Synthetic microphone: a sine tone (440 Hz at about -14 dBFS by default).
pub struct SineTone {
    frequency: f32,
    amplitude: f32,
    phase: f32,
}

impl SineTone {
    /// A tone of `frequency` Hz with peak `amplitude` in 0.0..=1.0.
    pub fn new(frequency: f32, amplitude: f32) -> Self {
        Self {
            frequency,
            amplitude: amplitude.clamp(0.0, 1.0),
            phase: 0.0,
        }
    }
}

impl Default for SineTone {
    fn default() -> Self {
        Self::new(440.0, 0.2)
    }
}

impl AudioSource for SineTone {
    fn next_frame(&mut self, out: &mut [i16]) -> Result<(), SourceError> {
        let step = std::f32::consts::TAU * self.frequency / AUDIO_SAMPLE_RATE as f32;
        for s in out.iter_mut() {
            *s = (self.phase.sin() * self.amplitude * i16::MAX as f32) as i16;
            self.phase = (self.phase + step) % std::f32::consts::TAU;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_pattern_changes_every_frame_and_fills_the_buffer() {
        let mut p = TestPattern::new(64, 48, 30);
        let mut a = I420Frame::new(64, 48);
        p.next_frame(&mut a).unwrap();
        let mut b = a.clone();
        p.next_frame(&mut b).unwrap();
        assert_eq!(a.data.len(), I420Frame::byte_len(64, 48));
        assert_ne!(a.data, b.data);
        assert_eq!(p.frames(), 2);
    }

    #[test]
    fn test_pattern_draws_large_frame_numbers_without_overflow() {
        let mut p = TestPattern::new(640, 480, 30);
        p.counter = 123_456_789;
        let mut f = I420Frame::new(640, 480);
        p.next_frame(&mut f).unwrap();
    }

    #[test]
    fn sine_tone_has_non_zero_level() {
        let mut t = SineTone::default();
        let mut buf = [0i16; AUDIO_FRAME_SAMPLES];
        t.next_frame(&mut buf).unwrap();
        let peak = buf.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak > 5000, "peak {peak}");
    }
}
