//! A V4L2 camera as a [`VideoSource`].
//!
//! The camera is opened with the pure-Rust [`linuxvideo`] crate (ioctls over
//! `libc`, no bindgen). [`Camera::open`] negotiates the size nearest to the
//! requested one (640x480 by default) at the requested rate (30 fps), taking
//! YUYV when the camera offers it and MJPEG otherwise (decoded with
//! `zune-jpeg`). Every picture is converted to I420 in plain Rust.
//!
//! Everything the device does wrong (no device, no permission, busy, no usable
//! format, no picture within the timeout, unplugged mid-call, corrupt
//! pictures) becomes a [`SourceError`] with an English message; nothing here
//! panics on what a device returns.

use crate::source::{I420Frame, SourceError, VideoSource};
use linuxvideo::format::{FrameSizes, PixFormat, PixelFormat};
use linuxvideo::stream::ReadStream;
use linuxvideo::{BufType, CapabilityFlags, Device, Fract};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to open and what to ask the camera for.
#[derive(Clone, Debug)]
pub struct CameraSettings {
    /// Device node (`/dev/video0`, `/dev/v4l/by-id/...`); `None` = the first
    /// video capture device found (see [`Camera::discover`]).
    pub path: Option<PathBuf>,
    /// Wanted picture size; the camera's nearest size is taken.
    pub width: u32,
    pub height: u32,
    /// Wanted frames per second.
    pub fps: u32,
    /// No picture for this long is an error ("the camera stopped").
    pub frame_timeout: Duration,
}

impl Default for CameraSettings {
    /// The first camera, 640x480 at 30 fps, 2 s timeout.
    fn default() -> Self {
        Self {
            path: None,
            width: 640,
            height: 480,
            fps: 30,
            frame_timeout: Duration::from_secs(2),
        }
    }
}

/// Pixel format the camera delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Packed 4:2:2 `Y0 U Y1 V`, converted to I420 directly.
    Yuyv,
    /// Motion JPEG (one JPEG per picture), decoded with `zune-jpeg`.
    Mjpeg,
}

/// Consecutive unusable pictures (driver error flag, corrupt JPEG) tolerated
/// before the camera counts as broken.
const MAX_BAD_FRAMES: u32 = 30;

/// A V4L2 camera delivering I420 pictures; `device_paced`.
pub struct Camera {
    path: PathBuf,
    name: String,
    stream: ReadStream,
    format: CaptureFormat,
    /// Size the camera delivers.
    src_width: u32,
    src_height: u32,
    /// Bytes per row of a YUYV picture.
    stride: usize,
    /// Size handed to the encoder (the camera's, rounded down to even).
    width: u32,
    height: u32,
    fps: u32,
    timeout: Duration,
    /// Decoded JPEG (interleaved YCbCr) between pictures.
    scratch: Vec<u8>,
    bad_frames: u32,
}

impl std::fmt::Debug for Camera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Camera")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("format", &self.format)
            .field("size", &(self.width, self.height))
            .field("fps", &self.fps)
            .finish()
    }
}

impl Camera {
    /// Opens the camera of `settings.path` (or the first one found) and
    /// starts streaming.
    pub fn open(settings: &CameraSettings) -> Result<Camera, SourceError> {
        let path = match &settings.path {
            Some(p) => p.clone(),
            None => Self::discover()?,
        };
        let device = Device::open(&path).map_err(|e| device_error(&path, "open", &e))?;
        let caps = device
            .capabilities()
            .map_err(|e| device_error(&path, "query capabilities", &e))?
            .device_capabilities();
        if !caps.contains(CapabilityFlags::VIDEO_CAPTURE) {
            return Err(SourceError(format!(
                "{} is not a video capture device",
                path.display()
            )));
        }
        if !caps.contains(CapabilityFlags::STREAMING) {
            return Err(SourceError(format!(
                "camera {} does not support streaming capture",
                path.display()
            )));
        }

        // Formats on offer: YUYV first, MJPEG as the fallback.
        let mut offered = Vec::new();
        for desc in device.formats(BufType::VIDEO_CAPTURE) {
            match desc {
                Ok(desc) => offered.push(desc.pixel_format()),
                Err(e) => return Err(device_error(&path, "list formats", &e)),
            }
        }
        let (pixel_format, format) = if offered.contains(&PixelFormat::YUYV) {
            (PixelFormat::YUYV, CaptureFormat::Yuyv)
        } else if offered.contains(&PixelFormat::MJPG) {
            (PixelFormat::MJPG, CaptureFormat::Mjpeg)
        } else if offered.contains(&PixelFormat::JPEG) {
            (PixelFormat::JPEG, CaptureFormat::Mjpeg)
        } else {
            let names: Vec<String> = offered.iter().map(|f| fourcc(*f)).collect();
            return Err(SourceError(format!(
                "camera {} offers no supported picture format (it offers {}; YUYV or MJPEG are needed)",
                path.display(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        };

        let want = (settings.width.max(16), settings.height.max(16));
        let (req_w, req_h) = match device.frame_sizes(pixel_format) {
            Ok(FrameSizes::Discrete(sizes)) => {
                let list: Vec<(u32, u32)> = sizes.iter().map(|s| (s.width(), s.height())).collect();
                nearest_size(&list, want).unwrap_or(want)
            }
            Ok(FrameSizes::Stepwise(s)) | Ok(FrameSizes::Continuous(s)) => (
                step_clamp(want.0, s.min_width(), s.max_width(), s.step_width()),
                step_clamp(want.1, s.min_height(), s.max_height(), s.step_height()),
            ),
            // Some drivers cannot enumerate sizes; let the driver adjust.
            Err(_) => want,
        };

        let capture = device
            .video_capture(PixFormat::new(req_w, req_h, pixel_format))
            .map_err(|e| device_error(&path, "set the picture format", &e))?;
        let got = capture.format();
        if got.pixel_format() != pixel_format {
            return Err(SourceError(format!(
                "camera {} switched to format {} instead of {}",
                path.display(),
                fourcc(got.pixel_format()),
                fourcc(pixel_format)
            )));
        }
        let (src_width, src_height) = (got.width(), got.height());
        let (width, height) = (src_width & !1, src_height & !1);
        if width < 2 || height < 2 {
            return Err(SourceError(format!(
                "camera {} negotiated an unusable picture size {src_width}x{src_height}",
                path.display()
            )));
        }
        let stride = (got.bytes_per_line() as usize).max(src_width as usize * 2);

        let wanted_fps = settings.fps.clamp(1, 120);
        let fps = match capture.set_frame_interval(Fract::new(1, wanted_fps)) {
            Ok(f) if f.numerator() > 0 && f.denominator() > 0 => {
                ((f.denominator() + f.numerator() / 2) / f.numerator()).clamp(1, 120)
            }
            Ok(_) => wanted_fps,
            Err(e) => {
                log::info!(
                    "camera {}: cannot set {wanted_fps} fps ({e}); using the camera's rate",
                    path.display()
                );
                wanted_fps
            }
        };

        let stream = capture
            .into_stream()
            .map_err(|e| device_error(&path, "start streaming", &e))?;
        let name = device_name(&path);
        log::info!(
            "camera {} ({name}): {}x{} {:?} at {fps} fps",
            path.display(),
            src_width,
            src_height,
            format
        );
        Ok(Camera {
            path,
            name,
            stream,
            format,
            src_width,
            src_height,
            stride,
            width,
            height,
            fps,
            timeout: settings.frame_timeout,
            scratch: Vec::new(),
            bad_frames: 0,
        })
    }

    /// The first `/dev/videoN` (lowest N) that is a streaming video capture
    /// device offering YUYV or MJPEG.
    pub fn discover() -> Result<PathBuf, SourceError> {
        let entries = std::fs::read_dir("/dev")
            .map_err(|e| SourceError(format!("no camera: cannot list /dev ({e})")))?;
        let mut nodes: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let n = name.to_str()?.strip_prefix("video")?.parse::<u32>().ok()?;
                Some((n, entry.path()))
            })
            .collect();
        nodes.sort();
        let mut first_error = None;
        for (_, path) in nodes {
            match Device::open(&path) {
                Ok(device) => {
                    let Ok(caps) = device.capabilities() else {
                        continue;
                    };
                    let caps = caps.device_capabilities();
                    if !caps.contains(CapabilityFlags::VIDEO_CAPTURE | CapabilityFlags::STREAMING) {
                        continue;
                    }
                    let usable = device.formats(BufType::VIDEO_CAPTURE).flatten().any(|d| {
                        let f = d.pixel_format();
                        f == PixelFormat::YUYV || f == PixelFormat::MJPG || f == PixelFormat::JPEG
                    });
                    if usable {
                        return Ok(path);
                    }
                }
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(device_error(&path, "open", &e));
                    }
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            SourceError("no camera: no video capture device (/dev/video*) found".to_string())
        }))
    }

    /// Device node the camera was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The driver's name for the camera (from sysfs), or the path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Format the camera delivers.
    pub fn capture_format(&self) -> CaptureFormat {
        self.format
    }

    fn unplugged(&self, e: &io::Error) -> SourceError {
        device_error(&self.path, "capture a picture", e)
    }
}

impl VideoSource for Camera {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn fps(&self) -> u32 {
        self.fps
    }

    fn device_paced(&self) -> bool {
        true
    }

    fn next_frame(&mut self, frame: &mut I420Frame) -> Result<(), SourceError> {
        let needed = I420Frame::byte_len(self.width, self.height);
        if frame.data.len() != needed {
            frame.data.resize(needed, 0);
        }
        frame.width = self.width;
        frame.height = self.height;
        loop {
            match wait_readable(self.stream.as_raw_fd(), self.timeout) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(SourceError(format!(
                        "camera {} delivered no picture for {:.1} s",
                        self.path.display(),
                        self.timeout.as_secs_f32()
                    )));
                }
                Err(e) => return Err(self.unplugged(&e)),
            }
            let Camera {
                stream,
                format,
                src_width,
                src_height,
                stride,
                scratch,
                ..
            } = self;
            let (format, src_w, src_h, stride) = (*format, *src_width, *src_height, *stride);
            let converted = stream.dequeue(|buf| {
                if buf.is_error() {
                    return Ok(Err("the driver flagged the picture as corrupt".to_string()));
                }
                Ok(match format {
                    CaptureFormat::Yuyv => yuyv_to_i420(&buf, stride, src_w, src_h, frame),
                    CaptureFormat::Mjpeg => mjpeg_to_i420(&buf, scratch, frame),
                })
            });
            match converted {
                Ok(Ok(())) => {
                    self.bad_frames = 0;
                    return Ok(());
                }
                Ok(Err(why)) => {
                    self.bad_frames += 1;
                    log::debug!("camera {}: picture skipped: {why}", self.path.display());
                    if self.bad_frames >= MAX_BAD_FRAMES {
                        return Err(SourceError(format!(
                            "camera {} delivers only unusable pictures ({why})",
                            self.path.display()
                        )));
                    }
                }
                Err(e) => return Err(self.unplugged(&e)),
            }
        }
    }
}

/// Waits until `fd` is readable; `Ok(false)` on timeout. A hang-up or error
/// condition without data (the device went away) is `ENODEV`.
fn wait_readable(fd: RawFd, timeout: Duration) -> io::Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, count 1; the fd is owned by the stream.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Ok(false);
        }
        if pfd.revents & libc::POLLIN == 0
            && pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
        {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        return Ok(true);
    }
}

/// A clear English message for a failed device operation.
fn device_error(path: &Path, what: &str, e: &io::Error) -> SourceError {
    let p = path.display();
    let msg = match e.raw_os_error() {
        Some(libc::ENOENT) => format!("no camera at {p}"),
        Some(libc::EACCES) | Some(libc::EPERM) => {
            format!(
                "no permission to open camera {p} (the kiosk user must be in the 'video' group)"
            )
        }
        Some(libc::EBUSY) => format!("camera {p} is in use by another program"),
        Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::EIO) => {
            format!("camera {p} stopped working or was unplugged ({what}: {e})")
        }
        Some(libc::ENOTTY) => format!("{p} is not a video device"),
        _ => format!("camera {p}: cannot {what}: {e}"),
    };
    SourceError(msg)
}

/// The driver's name for a video node, from sysfs.
fn device_name(path: &Path) -> String {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    real.file_name()
        .and_then(|node| {
            std::fs::read_to_string(Path::new("/sys/class/video4linux").join(node).join("name"))
                .ok()
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| path.display().to_string())
}

fn fourcc(f: PixelFormat) -> String {
    f.as_fourcc()
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

/// The size in `sizes` nearest to `want` (sum of width and height
/// differences; on a tie the larger one).
pub fn nearest_size(sizes: &[(u32, u32)], want: (u32, u32)) -> Option<(u32, u32)> {
    sizes.iter().copied().min_by_key(|&(w, h)| {
        let d = w.abs_diff(want.0) + h.abs_diff(want.1);
        (d, std::cmp::Reverse(w * h))
    })
}

/// `want` clamped to `min..=max` on the grid `min + k * step`.
fn step_clamp(want: u32, min: u32, max: u32, step: u32) -> u32 {
    let v = want.clamp(min, max.max(min));
    if step <= 1 {
        return v;
    }
    min + (v - min) / step * step
}

/// Converts a packed YUYV picture of `src_width` x `src_height` (rows of
/// `stride` bytes) into `out`, whose (even) size must not exceed the source:
/// luma is copied, chroma of each pair of rows averaged. Extra columns or
/// rows are cropped.
pub fn yuyv_to_i420(
    src: &[u8],
    stride: usize,
    src_width: u32,
    src_height: u32,
    out: &mut I420Frame,
) -> Result<(), String> {
    let (w, h) = (out.width as usize, out.height as usize);
    if w % 2 != 0 || h % 2 != 0 || w > src_width as usize || h > src_height as usize {
        return Err(format!(
            "cannot convert a {src_width}x{src_height} picture to {w}x{h}"
        ));
    }
    if stride < w * 2 || h > 0 && src.len() < stride * (h - 1) + w * 2 {
        return Err(format!(
            "short YUYV picture: {} bytes for {src_width}x{src_height}",
            src.len()
        ));
    }
    if out.data.len() != I420Frame::byte_len(out.width, out.height) {
        out.data
            .resize(I420Frame::byte_len(out.width, out.height), 0);
    }
    let (y_plane, chroma) = out.data.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut((w / 2) * (h / 2));
    for row in (0..h).step_by(2) {
        let top = &src[row * stride..row * stride + w * 2];
        let bottom = &src[(row + 1) * stride..(row + 1) * stride + w * 2];
        let c_off = (row / 2) * (w / 2);
        for (i, (t, b)) in top.chunks_exact(4).zip(bottom.chunks_exact(4)).enumerate() {
            y_plane[row * w + 2 * i] = t[0];
            y_plane[row * w + 2 * i + 1] = t[2];
            y_plane[(row + 1) * w + 2 * i] = b[0];
            y_plane[(row + 1) * w + 2 * i + 1] = b[2];
            u_plane[c_off + i] = (t[1] as u16 + b[1] as u16).div_ceil(2) as u8;
            v_plane[c_off + i] = (t[3] as u16 + b[3] as u16).div_ceil(2) as u8;
        }
    }
    Ok(())
}

/// Largest JPEG picture accepted (guards the decoder's allocation).
const MAX_JPEG_SIDE: usize = 4096;

/// Decodes one MJPEG picture into `out` (cropped to its even size). JPEG's
/// full-range YCbCr is mapped to the encoder's limited range.
pub fn mjpeg_to_i420(
    jpeg: &[u8],
    scratch: &mut Vec<u8>,
    out: &mut I420Frame,
) -> Result<(), String> {
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::YCbCr)
        .set_max_width(MAX_JPEG_SIDE)
        .set_max_height(MAX_JPEG_SIDE);
    // The decoder is fuzzed, but a camera's bytes are untrusted: a panic in
    // it must not take the call down.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut decoder = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
        decoder.decode_headers().map_err(|e| e.to_string())?;
        let info = decoder.info().ok_or("JPEG without headers")?;
        let len = decoder
            .output_buffer_size()
            .ok_or("JPEG of impossible size")?;
        scratch.resize(len, 0);
        decoder.decode_into(scratch).map_err(|e| e.to_string())?;
        Ok::<_, String>((info.width as usize, info.height as usize, len))
    }))
    .map_err(|_| "the JPEG decoder failed on a corrupt picture".to_string())??;
    let (src_w, src_h, len) = decoded;
    if len != src_w * src_h * 3 {
        return Err(format!(
            "unexpected JPEG layout ({len} bytes for {src_w}x{src_h})"
        ));
    }
    ycbcr_full_to_i420(&scratch[..len], src_w, src_h, out)
}

/// Interleaved full-range 4:4:4 YCbCr (`src_w` x `src_h`) to limited-range
/// I420 of `out`'s size (cropped; chroma averaged over 2x2).
fn ycbcr_full_to_i420(
    src: &[u8],
    src_w: usize,
    src_h: usize,
    out: &mut I420Frame,
) -> Result<(), String> {
    let (w, h) = (out.width as usize, out.height as usize);
    if w > src_w || h > src_h || w % 2 != 0 || h % 2 != 0 {
        return Err(format!("JPEG picture {src_w}x{src_h} does not fit {w}x{h}"));
    }
    if out.data.len() != I420Frame::byte_len(out.width, out.height) {
        out.data
            .resize(I420Frame::byte_len(out.width, out.height), 0);
    }
    let luma = |y: u8| (16 + (y as u32 * 219 + 127) / 255) as u8;
    let chroma = |sum: u32| (128 + ((sum as i32 - 4 * 128) * 224) / (4 * 255)) as u8;
    let (y_plane, rest) = out.data.split_at_mut(w * h);
    let (u_plane, v_plane) = rest.split_at_mut((w / 2) * (h / 2));
    for row in (0..h).step_by(2) {
        let top = &src[row * src_w * 3..(row * src_w + w) * 3];
        let bottom = &src[(row + 1) * src_w * 3..((row + 1) * src_w + w) * 3];
        for col in (0..w).step_by(2) {
            let (a, b) = (&top[col * 3..col * 3 + 6], &bottom[col * 3..col * 3 + 6]);
            y_plane[row * w + col] = luma(a[0]);
            y_plane[row * w + col + 1] = luma(a[3]);
            y_plane[(row + 1) * w + col] = luma(b[0]);
            y_plane[(row + 1) * w + col + 1] = luma(b[3]);
            let c = (row / 2) * (w / 2) + col / 2;
            u_plane[c] = chroma(a[1] as u32 + a[4] as u32 + b[1] as u32 + b[4] as u32);
            v_plane[c] = chroma(a[2] as u32 + a[5] as u32 + b[2] as u32 + b[5] as u32);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A YUYV picture where every pixel's Y is its column + 10 * row and each
    /// 2-pixel pair has U = 100 + row, V = 200 - row.
    fn yuyv(w: usize, h: usize, stride: usize) -> Vec<u8> {
        let mut buf = vec![0xEEu8; stride * h];
        for row in 0..h {
            for pair in 0..w / 2 {
                let o = row * stride + pair * 4;
                buf[o] = (pair * 2 + row * 10) as u8;
                buf[o + 1] = (100 + row) as u8;
                buf[o + 2] = (pair * 2 + 1 + row * 10) as u8;
                buf[o + 3] = (200 - row) as u8;
            }
        }
        buf
    }

    #[test]
    fn yuyv_converts_to_i420_with_averaged_chroma() {
        let (w, h) = (8, 4);
        let src = yuyv(w, h, w * 2);
        let mut out = I420Frame::new(8, 4);
        yuyv_to_i420(&src, w * 2, 8, 4, &mut out).unwrap();
        let (y, rest) = out.data.split_at(w * h);
        let (u, v) = rest.split_at(w * h / 4);
        for row in 0..h {
            for col in 0..w {
                assert_eq!(y[row * w + col] as usize, col + row * 10);
            }
        }
        // Rows 0+1 average to U = 100.5 -> 101, V = 199.5 -> 200 (rounded up).
        assert_eq!(&u[..4], &[101; 4]);
        assert_eq!(&v[..4], &[200; 4]);
        // Rows 2+3: U = 102.5 -> 103, V = 197.5 -> 198.
        assert_eq!(&u[4..], &[103; 4]);
        assert_eq!(&v[4..], &[198; 4]);
    }

    #[test]
    fn yuyv_honours_stride_and_crops_odd_sizes() {
        // 7x5 camera picture with padded rows: output 6x4.
        let stride = 20;
        let src = yuyv(8, 5, stride);
        let mut out = I420Frame::new(6, 4);
        yuyv_to_i420(&src, stride, 7, 5, &mut out).unwrap();
        assert_eq!(out.data.len(), I420Frame::byte_len(6, 4));
        assert_eq!(&out.data[..6], &[0, 1, 2, 3, 4, 5]);
        assert_eq!(&out.data[6..12], &[10, 11, 12, 13, 14, 15]);
        assert!(!out.data.contains(&0xEE), "padding leaked into the picture");
    }

    #[test]
    fn short_or_oversized_yuyv_is_an_error_not_a_panic() {
        let mut out = I420Frame::new(8, 4);
        assert!(yuyv_to_i420(&[0; 10], 16, 8, 4, &mut out).is_err());
        assert!(yuyv_to_i420(&[0; 64], 16, 4, 4, &mut out).is_err());
        assert!(yuyv_to_i420(&[0; 64], 4, 8, 4, &mut out).is_err());
    }

    #[test]
    fn nearest_size_prefers_exact_then_closest() {
        let sizes = [(320, 240), (640, 480), (1280, 720)];
        assert_eq!(nearest_size(&sizes, (640, 480)), Some((640, 480)));
        assert_eq!(nearest_size(&sizes, (800, 600)), Some((640, 480)));
        assert_eq!(
            nearest_size(&[(1280, 720), (1920, 1080)], (640, 480)),
            Some((1280, 720))
        );
        assert_eq!(nearest_size(&[], (640, 480)), None);
    }

    #[test]
    fn stepwise_sizes_are_clamped_to_the_grid() {
        assert_eq!(step_clamp(640, 16, 1920, 8), 640);
        assert_eq!(step_clamp(645, 16, 1920, 8), 640);
        assert_eq!(step_clamp(4000, 16, 1920, 8), 1920);
        assert_eq!(step_clamp(4, 16, 1920, 8), 16);
        assert_eq!(step_clamp(641, 1, 1920, 0), 641);
    }

    /// 16x16 baseline JPEG (4:2:0, quality 95) made with Pillow: left half
    /// pure red, right half pure blue.
    const RED_BLUE_JPEG: &[u8] = include_bytes!("../tests/data/red-blue-16x16.jpg");

    #[test]
    fn mjpeg_decodes_to_limited_range_i420() {
        let mut out = I420Frame::new(16, 16);
        let mut scratch = Vec::new();
        mjpeg_to_i420(RED_BLUE_JPEG, &mut scratch, &mut out).unwrap();
        let (y, rest) = out.data.split_at(256);
        let (u, v) = rest.split_at(64);
        // BT.601 limited range: red Y=81 U=90 V=240, blue Y=41 U=240 V=110.
        let near = |a: u8, b: u8| (a as i32 - b as i32).abs() <= 6;
        assert!(near(y[16 + 2], 81), "red Y {}", y[18]);
        assert!(near(y[16 + 13], 41), "blue Y {}", y[29]);
        assert!(
            near(u[8 + 1], 90) && near(v[8 + 1], 240),
            "red UV {} {}",
            u[9],
            v[9]
        );
        assert!(
            near(u[8 + 6], 240) && near(v[8 + 6], 110),
            "blue UV {} {}",
            u[14],
            v[14]
        );
    }

    #[test]
    fn corrupt_mjpeg_is_an_error_not_a_panic() {
        let mut out = I420Frame::new(16, 16);
        let mut scratch = Vec::new();
        assert!(mjpeg_to_i420(b"not a jpeg", &mut scratch, &mut out).is_err());
        let truncated = &RED_BLUE_JPEG[..RED_BLUE_JPEG.len() / 2];
        // A truncated picture may decode partly or fail; it must not panic.
        let _ = mjpeg_to_i420(truncated, &mut scratch, &mut out);
        let mut garbage = RED_BLUE_JPEG.to_vec();
        for (i, b) in garbage.iter_mut().enumerate().skip(200) {
            *b ^= (i * 37) as u8;
        }
        let _ = mjpeg_to_i420(&garbage, &mut scratch, &mut out);
        // Too large for the output picture.
        let mut small = I420Frame::new(32, 32);
        assert!(mjpeg_to_i420(RED_BLUE_JPEG, &mut scratch, &mut small).is_err());
    }

    #[test]
    fn missing_device_is_a_clear_error() {
        let settings = CameraSettings {
            path: Some(PathBuf::from("/dev/video-does-not-exist")),
            ..CameraSettings::default()
        };
        let err = Camera::open(&settings).unwrap_err();
        assert!(
            err.0.contains("no camera at /dev/video-does-not-exist"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_camera_is_a_clear_error() {
        let settings = CameraSettings {
            path: Some(PathBuf::from("/dev/null")),
            ..CameraSettings::default()
        };
        let err = Camera::open(&settings).unwrap_err();
        assert!(err.0.contains("/dev/null"), "{err}");
    }
}
