//! VP8 encoder and decoder over the raw libvpx bindings (`env-libvpx-sys`,
//! linking Debian's libvpx).
//!
//! Why not the `vpx-encode` crate: it cannot force a keyframe, fixes 8
//! encoder threads and leaves the speed setting at its slowest. A kiosk needs
//! keyframes on demand (a viewer joining or recovering from loss sees black
//! until the next one) and low CPU, so this module sets up libvpx itself:
//! real-time deadline, CBR, no lag, `cpu-used` high, keyframe at least every
//! `keyframe_interval` frames plus forced keyframes on request.
//!
//! Both types own a libvpx context and are `Send` but not `Sync`: each lives
//! on its own thread.

use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_ulong};
use std::ptr;

use vpx_sys::*;

/// Errors from libvpx (the numeric `vpx_codec_err_t` and where it happened).
#[derive(Debug, thiserror::Error)]
#[error("libvpx {what} failed (code {code})")]
pub struct VpxError {
    pub what: &'static str,
    pub code: i32,
}

fn check(what: &'static str, res: vpx_codec_err_t) -> Result<(), VpxError> {
    let code = res as i32;
    if code == 0 {
        Ok(())
    } else {
        Err(VpxError { what, code })
    }
}

/// Encoder settings.
#[derive(Clone, Copy, Debug)]
pub struct Vp8EncoderConfig {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
    /// Maximum distance between keyframes, in frames.
    pub keyframe_interval: u32,
    /// libvpx worker threads (1-2 suits a small kiosk board).
    pub threads: u32,
    /// libvpx `cpu-used` speed setting, 0 (best) ..= 16 (fastest) for real time.
    pub cpu_used: i32,
}

/// One encoded VP8 frame.
#[derive(Clone, Debug)]
pub struct EncodedFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

/// A VP8 real-time encoder.
pub struct Vp8Encoder {
    ctx: vpx_codec_ctx_t,
    width: u32,
    height: u32,
    pts: i64,
}

// SAFETY: the libvpx context is only touched through `&mut self`; libvpx has no
// thread affinity, so moving it to another thread is fine.
unsafe impl Send for Vp8Encoder {}

impl Vp8Encoder {
    pub fn new(cfg: Vp8EncoderConfig) -> Result<Self, VpxError> {
        if !cfg.width.is_multiple_of(2)
            || !cfg.height.is_multiple_of(2)
            || cfg.width == 0
            || cfg.height == 0
        {
            return Err(VpxError {
                what: "size check (width and height must be even)",
                code: -1,
            });
        }
        // SAFETY: plain FFI calls on zero-initialised C structs, checked results.
        unsafe {
            let iface = vpx_codec_vp8_cx();
            let mut c = MaybeUninit::<vpx_codec_enc_cfg_t>::zeroed().assume_init();
            check(
                "vpx_codec_enc_config_default",
                vpx_codec_enc_config_default(iface, &mut c, 0),
            )?;
            c.g_w = cfg.width;
            c.g_h = cfg.height;
            c.g_timebase.num = 1;
            c.g_timebase.den = cfg.fps.max(1) as c_int;
            c.rc_target_bitrate = cfg.bitrate_kbps;
            c.g_threads = cfg.threads.max(1);
            c.g_lag_in_frames = 0;
            c.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
            c.rc_end_usage = vpx_rc_mode::VPX_CBR;
            c.rc_min_quantizer = 4;
            c.rc_max_quantizer = 56;
            c.rc_undershoot_pct = 100;
            c.rc_overshoot_pct = 15;
            c.rc_buf_initial_sz = 500;
            c.rc_buf_optimal_sz = 600;
            c.rc_buf_sz = 1000;
            c.rc_dropframe_thresh = 0;
            c.kf_mode = vpx_kf_mode::VPX_KF_AUTO;
            c.kf_min_dist = 0;
            c.kf_max_dist = cfg.keyframe_interval.max(1);

            let mut ctx = MaybeUninit::<vpx_codec_ctx_t>::zeroed().assume_init();
            check(
                "vpx_codec_enc_init_ver",
                vpx_codec_enc_init_ver(&mut ctx, iface, &c, 0, VPX_ENCODER_ABI_VERSION as c_int),
            )?;
            let mut enc = Self {
                ctx,
                width: cfg.width,
                height: cfg.height,
                pts: 0,
            };
            check(
                "vpx_codec_control(VP8E_SET_CPUUSED)",
                vpx_codec_control_(
                    &mut enc.ctx,
                    vp8e_enc_control_id::VP8E_SET_CPUUSED as c_int,
                    cfg.cpu_used.clamp(-16, 16) as c_int,
                ),
            )?;
            Ok(enc)
        }
    }

    /// Encodes one I420 picture (`width * height * 3 / 2` bytes). Returns the
    /// compressed frames (normally one; none if the rate control dropped it).
    pub fn encode(
        &mut self,
        i420: &[u8],
        force_keyframe: bool,
    ) -> Result<Vec<EncodedFrame>, VpxError> {
        let needed = crate::source::I420Frame::byte_len(self.width, self.height);
        if i420.len() < needed {
            return Err(VpxError {
                what: "input size check",
                code: -1,
            });
        }
        let mut out = Vec::new();
        // SAFETY: `i420` outlives the encode call and is large enough for the
        // wrapped image (checked above); libvpx only reads it. Packets returned
        // by vpx_codec_get_cx_data stay valid until the next encode call and are
        // copied out before that.
        unsafe {
            let mut image = MaybeUninit::<vpx_image_t>::zeroed().assume_init();
            let wrapped = vpx_img_wrap(
                &mut image,
                vpx_img_fmt::VPX_IMG_FMT_I420,
                self.width,
                self.height,
                1,
                i420.as_ptr() as *mut u8,
            );
            if wrapped.is_null() {
                return Err(VpxError {
                    what: "vpx_img_wrap",
                    code: -1,
                });
            }
            let flags = if force_keyframe {
                VPX_EFLAG_FORCE_KF as vpx_enc_frame_flags_t
            } else {
                0
            };
            check(
                "vpx_codec_encode",
                vpx_codec_encode(
                    &mut self.ctx,
                    &image,
                    self.pts,
                    1,
                    flags,
                    VPX_DL_REALTIME as c_ulong,
                ),
            )?;
            self.pts += 1;
            let mut iter: vpx_codec_iter_t = ptr::null();
            loop {
                let pkt = vpx_codec_get_cx_data(&mut self.ctx, &mut iter);
                if pkt.is_null() {
                    break;
                }
                if (*pkt).kind == vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                    let f = &(*pkt).data.frame;
                    let data =
                        std::slice::from_raw_parts(f.buf as *const u8, f.sz as usize).to_vec();
                    out.push(EncodedFrame {
                        data,
                        keyframe: (f.flags & VPX_FRAME_IS_KEY) != 0,
                    });
                }
            }
        }
        Ok(out)
    }
}

impl Drop for Vp8Encoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is destroyed once.
        unsafe {
            vpx_codec_destroy(&mut self.ctx);
        }
    }
}

/// A decoded picture, still in the decoder's I420 planes (copied out).
#[derive(Clone, Debug)]
pub struct DecodedI420 {
    pub width: u32,
    pub height: u32,
    /// Tightly packed Y, U, V planes.
    pub data: Vec<u8>,
}

/// A VP8 decoder. Corrupt input gives an error, never a crash: libvpx checks
/// the bitstream, and this wrapper checks every size it copies.
pub struct Vp8Decoder {
    ctx: vpx_codec_ctx_t,
}

// SAFETY: see `Vp8Encoder`.
unsafe impl Send for Vp8Decoder {}

impl Vp8Decoder {
    pub fn new(threads: u32) -> Result<Self, VpxError> {
        // SAFETY: FFI on zero-initialised structs, checked result.
        unsafe {
            let iface = vpx_codec_vp8_dx();
            let cfg = vpx_codec_dec_cfg_t {
                threads: threads.max(1),
                w: 0,
                h: 0,
            };
            let mut ctx = MaybeUninit::<vpx_codec_ctx_t>::zeroed().assume_init();
            check(
                "vpx_codec_dec_init_ver",
                vpx_codec_dec_init_ver(&mut ctx, iface, &cfg, 0, VPX_DECODER_ABI_VERSION as c_int),
            )?;
            Ok(Self { ctx })
        }
    }

    /// Decodes one compressed frame; returns the pictures it produced
    /// (normally one).
    pub fn decode(&mut self, data: &[u8]) -> Result<Vec<DecodedI420>, VpxError> {
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        // SAFETY: libvpx reads `data` during the call only. Returned images are
        // valid until the next decode call; we copy them out row by row using
        // the image's own strides and dimensions, after checking them.
        unsafe {
            check(
                "vpx_codec_decode",
                vpx_codec_decode(
                    &mut self.ctx,
                    data.as_ptr(),
                    data.len() as std::os::raw::c_uint,
                    ptr::null_mut(),
                    0,
                ),
            )?;
            let mut iter: vpx_codec_iter_t = ptr::null();
            loop {
                let img = vpx_codec_get_frame(&mut self.ctx, &mut iter);
                if img.is_null() {
                    break;
                }
                let img = &*img;
                if img.fmt != vpx_img_fmt::VPX_IMG_FMT_I420 {
                    continue;
                }
                let (w, h) = (img.d_w as usize & !1, img.d_h as usize & !1);
                if w == 0 || h == 0 || w > 8192 || h > 8192 {
                    continue;
                }
                let mut buf = Vec::with_capacity(w * h * 3 / 2);
                for (plane, (pw, ph)) in [(w, h), (w / 2, h / 2), (w / 2, h / 2)]
                    .into_iter()
                    .enumerate()
                {
                    let stride = img.stride[plane];
                    let base = img.planes[plane];
                    if base.is_null() || stride < pw as c_int {
                        return Err(VpxError {
                            what: "decoded image layout",
                            code: -1,
                        });
                    }
                    for row in 0..ph {
                        let line = std::slice::from_raw_parts(base.add(row * stride as usize), pw);
                        buf.extend_from_slice(line);
                    }
                }
                out.push(DecodedI420 {
                    width: w as u32,
                    height: h as u32,
                    data: buf,
                });
            }
        }
        Ok(out)
    }
}

impl Drop for Vp8Decoder {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe {
            vpx_codec_destroy(&mut self.ctx);
        }
    }
}

/// Pixel layout of decoded frames handed to the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PixelFormat {
    /// 3 bytes per pixel (slint `Rgb8Pixel`).
    Rgb8,
    /// 4 bytes per pixel, alpha 255 (slint `Rgba8Pixel`).
    #[default]
    Rgba8,
}

impl PixelFormat {
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 => 3,
            PixelFormat::Rgba8 => 4,
        }
    }
}

/// Converts tightly packed I420 to RGB(A) with BT.601 limited-range
/// coefficients in integer arithmetic.
pub fn i420_to_rgb(width: u32, height: u32, i420: &[u8], format: PixelFormat) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let bpp = format.bytes_per_pixel();
    let mut out = vec![255u8; w * h * bpp];
    if i420.len() < crate::source::I420Frame::byte_len(width, height) {
        return out;
    }
    let (y_plane, rest) = i420.split_at(w * h);
    let (u_plane, v_plane) = rest.split_at((w / 2) * (h / 2));
    for row in 0..h {
        let y_line = &y_plane[row * w..(row + 1) * w];
        let c_off = (row / 2) * (w / 2);
        let out_line = &mut out[row * w * bpp..(row + 1) * w * bpp];
        for (col, px) in out_line.chunks_exact_mut(bpp).enumerate() {
            let c = 298 * (y_line[col] as i32 - 16);
            let d = u_plane[c_off + col / 2] as i32 - 128;
            let e = v_plane[c_off + col / 2] as i32 - 128;
            px[0] = ((c + 409 * e + 128) >> 8).clamp(0, 255) as u8;
            px[1] = ((c - 100 * d - 208 * e + 128) >> 8).clamp(0, 255) as u8;
            px[2] = ((c + 516 * d + 128) >> 8).clamp(0, 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{I420Frame, TestPattern, VideoSource};

    fn encoder(w: u32, h: u32) -> Vp8Encoder {
        Vp8Encoder::new(Vp8EncoderConfig {
            width: w,
            height: h,
            fps: 30,
            bitrate_kbps: 500,
            keyframe_interval: 30,
            threads: 1,
            cpu_used: 8,
        })
        .unwrap()
    }

    #[test]
    fn vp8_round_trip_decodes_every_encoded_frame_at_the_source_size() {
        let mut enc = encoder(160, 120);
        let mut dec = Vp8Decoder::new(1).unwrap();
        let mut src = TestPattern::new(160, 120, 30);
        let mut frame = I420Frame::new(160, 120);
        let mut decoded = 0;
        for i in 0..20 {
            src.next_frame(&mut frame).unwrap();
            for f in enc.encode(&frame.data, false).unwrap() {
                if i == 0 {
                    assert!(f.keyframe);
                }
                for pic in dec.decode(&f.data).unwrap() {
                    assert_eq!((pic.width, pic.height), (160, 120));
                    decoded += 1;
                }
            }
        }
        assert!(decoded >= 18, "decoded {decoded}");
    }

    #[test]
    fn forced_keyframe_is_a_keyframe() {
        let mut enc = encoder(64, 48);
        let frame = I420Frame::new(64, 48);
        let _ = enc.encode(&frame.data, false).unwrap();
        let _ = enc.encode(&frame.data, false).unwrap();
        let f = enc.encode(&frame.data, true).unwrap();
        assert!(f.iter().any(|f| f.keyframe));
    }

    #[test]
    fn decoder_rejects_garbage_without_crashing() {
        let mut dec = Vp8Decoder::new(1).unwrap();
        for len in [1usize, 3, 10, 100, 5000] {
            let junk: Vec<u8> = (0..len).map(|i| (i * 7919 % 251) as u8).collect();
            let _ = dec.decode(&junk);
        }
    }

    #[test]
    fn grey_converts_to_grey() {
        let f = I420Frame {
            width: 4,
            height: 2,
            data: vec![126, 126, 126, 126, 126, 126, 126, 126, 128, 128, 128, 128],
        };
        let rgba = i420_to_rgb(4, 2, &f.data, PixelFormat::Rgba8);
        assert_eq!(rgba.len(), 32);
        assert!(
            rgba.chunks(4)
                .all(|p| p[0] == p[1] && p[1] == p[2] && p[3] == 255)
        );
        let rgb = i420_to_rgb(4, 2, &f.data, PixelFormat::Rgb8);
        assert_eq!(rgb.len(), 24);
    }
}
