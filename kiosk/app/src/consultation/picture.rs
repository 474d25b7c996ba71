//! Decoded pictures on their way to the screen.
//!
//! The call decodes on its own threads; a forwarding thread turns each
//! picture into a Slint pixel buffer there (off the UI thread) and leaves it
//! in a [`PictureSlot`]. The slot holds only the newest picture: when the UI
//! is busy, older ones are replaced rather than queued, so the screen never
//! lags behind the call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use kiosk_call::{PixelFormat, VideoFrame};
use slint::{Rgba8Pixel, SharedPixelBuffer};

#[derive(Default)]
pub struct PictureSlot {
    newest: Mutex<Option<SharedPixelBuffer<Rgba8Pixel>>>,
    /// Pictures put in and taken out (the UI showed them).
    put: AtomicU64,
    shown: AtomicU64,
}

impl PictureSlot {
    /// Leaves `picture` for the UI; returns true when the slot was empty
    /// (the UI must be told), false when it replaced one not yet shown.
    pub fn put(&self, picture: SharedPixelBuffer<Rgba8Pixel>) -> bool {
        self.put.fetch_add(1, Ordering::Relaxed);
        let mut slot = self.newest.lock().unwrap_or_else(|p| p.into_inner());
        slot.replace(picture).is_none()
    }

    /// The newest picture, if one arrived since the last call.
    pub fn take(&self) -> Option<SharedPixelBuffer<Rgba8Pixel>> {
        let picture = self.newest.lock().unwrap_or_else(|p| p.into_inner()).take();
        if picture.is_some() {
            self.shown.fetch_add(1, Ordering::Relaxed);
        }
        picture
    }

    /// Pictures the UI took to show.
    pub fn shown(&self) -> u64 {
        self.shown.load(Ordering::Relaxed)
    }

    pub fn clear(&self) {
        self.newest.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// The frame as a Slint RGBA buffer; None for a frame whose size and
/// bytes disagree (never trust a decoder's output blindly).
pub fn to_pixel_buffer(frame: &VideoFrame) -> Option<SharedPixelBuffer<Rgba8Pixel>> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0 || h == 0 {
        return None;
    }
    match frame.format {
        PixelFormat::Rgba8 if frame.pixels.len() == w * h * 4 => Some(
            SharedPixelBuffer::clone_from_slice(&frame.pixels, frame.width, frame.height),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: u32, h: u32, len: usize) -> VideoFrame {
        VideoFrame {
            width: w,
            height: h,
            format: PixelFormat::Rgba8,
            pixels: vec![7; len],
        }
    }

    #[test]
    fn the_slot_keeps_only_the_newest_picture_and_says_when_to_wake_the_ui() {
        let slot = PictureSlot::default();
        let a = to_pixel_buffer(&frame(2, 2, 16)).unwrap();
        assert!(slot.put(a.clone()));
        assert!(!slot.put(a));
        assert!(slot.take().is_some());
        assert!(slot.take().is_none());
        assert_eq!(slot.shown(), 1);
    }

    #[test]
    fn a_frame_whose_bytes_do_not_match_its_size_is_dropped() {
        assert!(to_pixel_buffer(&frame(4, 4, 10)).is_none());
        assert!(to_pixel_buffer(&frame(0, 4, 0)).is_none());
    }
}
