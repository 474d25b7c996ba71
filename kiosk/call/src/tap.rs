//! Small wrappers around media sources for the terminal's controls:
//! [`Mute`] (the resident's microphone button), [`CameraOff`] (the camera
//! button) and [`SelfView`] (the resident's own picture on screen).
//!
//! They wrap any source (`Box<dyn VideoSource>` included), change nothing
//! about pacing, and are controlled from the UI thread through a cloneable
//! [`Switch`] or read through a `flume` channel, so the encoder thread never
//! waits for the UI. Put [`SelfView`] outside [`CameraOff`]
//! (`SelfView::new(CameraOff::new(camera), ..)`) so the resident sees that
//! the camera is off. The wrapped sources are read by the call's encoder
//! threads, which start once the call connects: self-view pictures flow
//! from then until hang-up.

use crate::VideoFrame;
use crate::source::{AudioSource, I420Frame, SourceError, VideoSource};
use crate::vp8::{PixelFormat, i420_to_rgb};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A shared on/off flag; clones control the same wrapper.
#[derive(Clone, Debug, Default)]
pub struct Switch(Arc<AtomicBool>);

impl Switch {
    /// A switch in the given position.
    pub fn new(on: bool) -> Self {
        Self(Arc::new(AtomicBool::new(on)))
    }

    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Flips the switch; returns the new position.
    pub fn toggle(&self) -> bool {
        !self.0.fetch_xor(true, Ordering::Relaxed)
    }
}

/// An [`AudioSource`] that sends silence while its switch is on. The wrapped
/// source is still read every frame, so a microphone keeps its pace and no
/// stale audio is queued up for when the resident unmutes; the stream to
/// the lawyer keeps flowing (Opus encodes silence in a few bytes).
pub struct Mute<S> {
    inner: S,
    muted: Switch,
}

impl<S: AudioSource> Mute<S> {
    /// Wraps `inner`, not muted.
    pub fn new(inner: S) -> Self {
        Self::with_switch(inner, Switch::new(false))
    }

    /// Wraps `inner`, controlled by an existing switch (on = muted).
    pub fn with_switch(inner: S, muted: Switch) -> Self {
        Self { inner, muted }
    }

    /// The switch: `set(true)` mutes, `set(false)` unmutes.
    pub fn switch(&self) -> Switch {
        self.muted.clone()
    }
}

impl<S: AudioSource> AudioSource for Mute<S> {
    fn device_paced(&self) -> bool {
        self.inner.device_paced()
    }

    fn next_frame(&mut self, out: &mut [i16]) -> Result<(), SourceError> {
        self.inner.next_frame(out)?;
        if self.muted.is_on() {
            out.fill(0);
        }
        Ok(())
    }
}

/// A [`VideoSource`] that sends a black picture while its switch is on
/// (the camera is still read, so pacing and the camera's state are kept).
pub struct CameraOff<S> {
    inner: S,
    off: Switch,
}

impl<S: VideoSource> CameraOff<S> {
    /// Wraps `inner`, camera on.
    pub fn new(inner: S) -> Self {
        Self::with_switch(inner, Switch::new(false))
    }

    /// Wraps `inner`, controlled by an existing switch (on = camera off).
    pub fn with_switch(inner: S, off: Switch) -> Self {
        Self { inner, off }
    }

    /// The switch: `set(true)` turns the picture off.
    pub fn switch(&self) -> Switch {
        self.off.clone()
    }
}

impl<S: VideoSource> VideoSource for CameraOff<S> {
    fn size(&self) -> (u32, u32) {
        self.inner.size()
    }

    fn fps(&self) -> u32 {
        self.inner.fps()
    }

    fn device_paced(&self) -> bool {
        self.inner.device_paced()
    }

    fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
        self.inner.next_frame(frame)?;
        if self.off.is_on() {
            let luma = (frame.width * frame.height) as usize;
            let split = luma.min(frame.data.len());
            frame.data[..split].fill(16);
            frame.data[split..].fill(128);
        }
        Ok(())
    }
}

/// How the self-view picture is made.
#[derive(Clone, Debug)]
pub struct SelfViewSettings {
    /// Width of the self-view picture (height follows the aspect ratio);
    /// never more than the source's.
    pub width: u32,
    /// At most this many pictures per second.
    pub max_fps: u32,
    /// Pictures the channel holds; more are dropped, never waited for.
    pub capacity: usize,
    /// Mirror left-right, as people expect to see themselves.
    pub mirror: bool,
}

impl Default for SelfViewSettings {
    /// 160 pixels wide, at most 15 per second, 2 in flight, mirrored.
    fn default() -> Self {
        Self {
            width: 160,
            max_fps: 15,
            capacity: 2,
            mirror: true,
        }
    }
}

/// A [`VideoSource`] that passes every picture through unchanged and, at
/// most [`SelfViewSettings::max_fps`] times a second, puts a small RGBA copy
/// on a bounded channel for the terminal to show the resident. When the
/// channel is full the copy is dropped; when the receiver is gone no more
/// copies are made.
pub struct SelfView<S> {
    inner: S,
    tx: flume::Sender<VideoFrame>,
    min_interval: Duration,
    last: Option<Instant>,
    width: u32,
    height: u32,
    mirror: bool,
    small: I420Frame,
    sent: u64,
    dropped: u64,
    disconnected: bool,
}

impl<S: VideoSource> SelfView<S> {
    /// Wraps `inner`; the receiver gets the self-view pictures
    /// ([`PixelFormat::Rgba8`]).
    pub fn new(inner: S, settings: SelfViewSettings) -> (Self, flume::Receiver<VideoFrame>) {
        let (tx, rx) = flume::bounded(settings.capacity.max(1));
        let (sw, sh) = inner.size();
        let (width, height) = self_view_size((sw, sh), settings.width);
        let this = Self {
            inner,
            tx,
            min_interval: Duration::from_secs_f64(1.0 / settings.max_fps.clamp(1, 120) as f64),
            last: None,
            width,
            height,
            mirror: settings.mirror,
            small: I420Frame::new(width, height),
            sent: 0,
            dropped: 0,
            disconnected: false,
        };
        (this, rx)
    }

    /// Size of the self-view pictures.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Self-view pictures sent and dropped (channel full) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.sent, self.dropped)
    }

    /// Whether a copy is due at `now` (and if so, starts the next interval).
    /// A frame a little early still counts, so a 30 fps camera gives a
    /// steady 15 and not 10.
    fn due(&mut self, now: Instant) -> bool {
        let due = match self.last {
            None => true,
            Some(last) => {
                now.saturating_duration_since(last) + self.min_interval / 8 >= self.min_interval
            }
        };
        if due {
            self.last = Some(now);
        }
        due
    }

    fn send_copy(&mut self, frame: &I420Frame) {
        downscale_i420(frame, &mut self.small, self.mirror);
        let pixels = i420_to_rgb(
            self.width,
            self.height,
            &self.small.data,
            PixelFormat::Rgba8,
        );
        let picture = VideoFrame {
            width: self.width,
            height: self.height,
            format: PixelFormat::Rgba8,
            pixels,
        };
        match self.tx.try_send(picture) {
            Ok(()) => self.sent += 1,
            Err(flume::TrySendError::Full(_)) => self.dropped += 1,
            Err(flume::TrySendError::Disconnected(_)) => self.disconnected = true,
        }
    }
}

impl<S: VideoSource> VideoSource for SelfView<S> {
    fn size(&self) -> (u32, u32) {
        self.inner.size()
    }

    fn fps(&self) -> u32 {
        self.inner.fps()
    }

    fn device_paced(&self) -> bool {
        self.inner.device_paced()
    }

    fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
        self.inner.next_frame(frame)?;
        if !self.disconnected && self.due(Instant::now()) {
            self.send_copy(frame);
        }
        Ok(())
    }
}

/// The self-view size for a source of `src` pixels at `width` wide: even,
/// at least 2x2, never larger than the source, aspect ratio kept.
fn self_view_size(src: (u32, u32), width: u32) -> (u32, u32) {
    let (sw, sh) = (src.0.max(2), src.1.max(2));
    let w = width.clamp(2, sw) & !1;
    let h = ((sh as u64 * w as u64 + sw as u64 / 2) / sw as u64) as u32;
    (w, (h & !1).max(2))
}

/// Box-filters `src` into `dst` (whose size is set), optionally mirrored.
fn downscale_i420(src: &I420Frame, dst: &mut I420Frame, mirror: bool) {
    let (sw, sh) = (src.width as usize, src.height as usize);
    let (dw, dh) = (dst.width as usize, dst.height as usize);
    if src.data.len() < I420Frame::byte_len(src.width, src.height) || sw < 2 || sh < 2 {
        return;
    }
    let (sy, rest) = src.data.split_at(sw * sh);
    let (su, sv) = rest.split_at((sw / 2) * (sh / 2));
    let (dy, rest) = dst.data.split_at_mut(dw * dh);
    let (du, dv) = rest.split_at_mut((dw / 2) * (dh / 2));
    downscale_plane(sy, sw, sh, dy, dw, dh, mirror);
    downscale_plane(su, sw / 2, sh / 2, du, dw / 2, dh / 2, mirror);
    downscale_plane(
        &sv[..(sw / 2) * (sh / 2)],
        sw / 2,
        sh / 2,
        dv,
        dw / 2,
        dh / 2,
        mirror,
    );
}

/// Averages each output pixel over the block of source pixels it covers.
fn downscale_plane(
    src: &[u8],
    sw: usize,
    sh: usize,
    dst: &mut [u8],
    dw: usize,
    dh: usize,
    mirror: bool,
) {
    if sw == 0 || sh == 0 || dw == 0 || dh == 0 {
        return;
    }
    for oy in 0..dh {
        let y0 = oy * sh / dh;
        let y1 = ((oy + 1) * sh / dh).max(y0 + 1).min(sh);
        for ox in 0..dw {
            let x0 = ox * sw / dw;
            let x1 = ((ox + 1) * sw / dw).max(x0 + 1).min(sw);
            let mut sum = 0u32;
            for row in y0..y1 {
                sum += src[row * sw + x0..row * sw + x1]
                    .iter()
                    .map(|&p| p as u32)
                    .sum::<u32>();
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            let tx = if mirror { dw - 1 - ox } else { ox };
            dst[oy * dw + tx] = ((sum + n / 2) / n) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SineTone, TestPattern};

    #[test]
    fn mute_sends_silence_while_on_and_the_stream_keeps_flowing() {
        let mut m = Mute::new(SineTone::default());
        let switch = m.switch();
        let mut buf = [0i16; crate::AUDIO_FRAME_SAMPLES];
        m.next_frame(&mut buf).unwrap();
        assert!(buf.iter().any(|&s| s != 0));
        switch.set(true);
        for _ in 0..3 {
            buf.fill(1);
            m.next_frame(&mut buf).unwrap();
            assert!(buf.iter().all(|&s| s == 0));
        }
        assert!(!switch.clone().toggle());
        m.next_frame(&mut buf).unwrap();
        assert!(buf.iter().any(|&s| s != 0));
        assert!(!m.device_paced());
    }

    #[test]
    fn camera_off_sends_black_of_the_same_size() {
        let mut c = CameraOff::new(TestPattern::new(64, 48, 30));
        let off = c.switch();
        let mut f = I420Frame::new(64, 48);
        c.next_frame(&mut f).unwrap();
        assert!(f.data.iter().any(|&p| p != 16 && p != 128));
        off.set(true);
        c.next_frame(&mut f).unwrap();
        assert_eq!(f.data, I420Frame::new(64, 48).data);
        assert_eq!(c.size(), (64, 48));
    }

    /// A source of one solid colour, given as limited-range YUV.
    struct Solid {
        yuv: (u8, u8, u8),
        size: (u32, u32),
    }

    impl VideoSource for Solid {
        fn size(&self) -> (u32, u32) {
            self.size
        }
        fn fps(&self) -> u32 {
            30
        }
        fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
            let luma = (self.size.0 * self.size.1) as usize;
            let chroma = luma / 4;
            frame.data[..luma].fill(self.yuv.0);
            frame.data[luma..luma + chroma].fill(self.yuv.1);
            frame.data[luma + chroma..].fill(self.yuv.2);
            Ok(())
        }
    }

    #[test]
    fn self_view_passes_frames_through_unchanged() {
        let mut plain = TestPattern::new(320, 240, 30);
        let settings = SelfViewSettings {
            max_fps: 1,
            ..SelfViewSettings::default()
        };
        let (mut view, rx) = SelfView::new(TestPattern::new(320, 240, 30), settings);
        assert_eq!(VideoSource::size(&view), (320, 240));
        assert_eq!(view.fps(), 30);
        let (mut a, mut b) = (I420Frame::new(320, 240), I420Frame::new(320, 240));
        for _ in 0..10 {
            plain.next_frame(&mut a).unwrap();
            view.next_frame(&mut b).unwrap();
            assert_eq!(a.data, b.data);
        }
        // Ten frames in well under a second at most 1 a second: one picture
        // (the exact rate limit is tested without the clock below).
        let pictures: Vec<_> = rx.try_iter().collect();
        assert!((1..=2).contains(&pictures.len()), "{}", pictures.len());
        let p = &pictures[0];
        assert_eq!(
            (p.width, p.height, p.format),
            (160, 120, PixelFormat::Rgba8)
        );
        assert_eq!(p.pixels.len(), 160 * 120 * 4);
    }

    #[test]
    fn self_view_is_limited_to_max_fps() {
        let (mut view, _rx) = SelfView::new(TestPattern::default(), SelfViewSettings::default());
        let start = Instant::now();
        let count = |view: &mut SelfView<TestPattern>, fps: u32| {
            view.last = None;
            (0..fps)
                .filter(|&i| view.due(start + Duration::from_secs_f64(i as f64 / fps as f64)))
                .count()
        };
        // One second of a 30, a 60 and a 25 fps camera.
        assert_eq!(count(&mut view, 30), 15);
        assert_eq!(count(&mut view, 60), 15);
        assert_eq!(count(&mut view, 25), 13);
        // A slow camera: every picture.
        assert_eq!(count(&mut view, 10), 10);
    }

    fn one_picture(yuv: (u8, u8, u8), mirror: bool) -> VideoFrame {
        let settings = SelfViewSettings {
            mirror,
            ..SelfViewSettings::default()
        };
        let (mut view, rx) = SelfView::new(
            Solid {
                yuv,
                size: (640, 480),
            },
            settings,
        );
        let mut f = I420Frame::new(640, 480);
        view.next_frame(&mut f).unwrap();
        rx.try_recv().unwrap()
    }

    #[test]
    fn self_view_converts_known_colours_to_rgba() {
        // BT.601 limited-range YUV of pure colours, and the RGB they give.
        let cases = [
            ((16, 128, 128), [0i32, 0, 0]),
            ((235, 128, 128), [255, 255, 255]),
            ((81, 90, 240), [255, 0, 0]),
            ((145, 54, 34), [0, 255, 0]),
            ((41, 240, 110), [0, 0, 255]),
        ];
        for (yuv, rgb) in cases {
            let p = one_picture(yuv, true);
            assert_eq!((p.width, p.height), (160, 120));
            for px in p.pixels.chunks_exact(4) {
                for c in 0..3 {
                    assert!(
                        (px[c] as i32 - rgb[c]).abs() <= 3,
                        "{yuv:?} gave {px:?}, expected {rgb:?}"
                    );
                }
                assert_eq!(px[3], 255);
            }
        }
    }

    #[test]
    fn self_view_is_mirrored_unless_asked_not_to() {
        // Left half black, right half white.
        let src = {
            let mut f = I420Frame::new(64, 32);
            for row in f.data[..64 * 32].chunks_exact_mut(64) {
                row[32..].fill(235);
            }
            f
        };
        struct Still(I420Frame);
        impl VideoSource for Still {
            fn size(&self) -> (u32, u32) {
                (self.0.width, self.0.height)
            }
            fn fps(&self) -> u32 {
                30
            }
            fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
                frame.data.copy_from_slice(&self.0.data);
                Ok(())
            }
        }
        for mirror in [false, true] {
            let settings = SelfViewSettings {
                width: 16,
                mirror,
                ..SelfViewSettings::default()
            };
            let (mut view, rx) = SelfView::new(Still(src.clone()), settings);
            assert_eq!(view.size(), (16, 8));
            let mut f = I420Frame::new(64, 32);
            view.next_frame(&mut f).unwrap();
            assert_eq!(f.data, src.data, "the encoder's copy is never mirrored");
            let p = rx.try_recv().unwrap();
            let (left, right) = (p.pixels[0], p.pixels[15 * 4]);
            if mirror {
                assert_eq!((left, right), (255, 0));
            } else {
                assert_eq!((left, right), (0, 255));
            }
        }
    }

    #[test]
    fn self_view_drops_when_full_and_stops_when_nobody_listens() {
        let settings = SelfViewSettings {
            capacity: 1,
            ..SelfViewSettings::default()
        };
        let (mut view, rx) = SelfView::new(TestPattern::new(64, 48, 30), settings);
        let mut f = I420Frame::new(64, 48);
        for _ in 0..5 {
            view.last = None; // due every time
            view.next_frame(&mut f).unwrap();
        }
        assert_eq!(view.counts(), (1, 4));
        drop(rx);
        view.last = None;
        view.next_frame(&mut f).unwrap();
        assert!(view.disconnected);
        view.last = None;
        view.next_frame(&mut f).unwrap();
        assert_eq!(view.counts(), (1, 4));
    }

    #[test]
    fn self_view_size_keeps_aspect_and_bounds() {
        assert_eq!(self_view_size((640, 480), 160), (160, 120));
        assert_eq!(self_view_size((1280, 720), 160), (160, 90));
        assert_eq!(self_view_size((100, 60), 160), (100, 60));
        assert_eq!(self_view_size((642, 480), 161), (160, 120));
        assert_eq!(self_view_size((16, 16), 1), (2, 2));
    }

    #[test]
    fn wrappers_work_on_boxed_sources() {
        let boxed: Box<dyn VideoSource> = Box::new(TestPattern::new(64, 48, 30));
        let (mut view, _rx) = SelfView::new(CameraOff::new(boxed), SelfViewSettings::default());
        let mut f = I420Frame::new(64, 48);
        view.next_frame(&mut f).unwrap();
        let audio: Box<dyn AudioSource> = Box::new(SineTone::default());
        let mut m = Mute::new(audio);
        let mut buf = [0i16; crate::AUDIO_FRAME_SAMPLES];
        m.next_frame(&mut buf).unwrap();
    }
}
