//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use kiosk_printer::raster::TextRasterizer;
use kiosk_printer_sim::{PaperImage, PaperRenderer};

pub fn assets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

/// The kiosk's fonts, loaded once per test binary (two ~13 MB faces).
pub fn rasterizer() -> Arc<TextRasterizer> {
    static FONT: OnceLock<Arc<TextRasterizer>> = OnceLock::new();
    FONT.get_or_init(|| Arc::new(TextRasterizer::from_assets_dir(&assets_dir()).expect("fonts")))
        .clone()
}

pub fn renderer() -> Arc<PaperRenderer> {
    static R: OnceLock<Arc<PaperRenderer>> = OnceLock::new();
    R.get_or_init(|| Arc::new(PaperRenderer::new(rasterizer())))
        .clone()
}

/// Every QR code rqrr finds in the image, decoded.
pub fn decode_qr(img: &PaperImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width as usize,
        img.height as usize,
        |x, y| img.get(x as u32, y as u32),
    );
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

/// A scratch directory under the target dir, emptied.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("printer-sim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
