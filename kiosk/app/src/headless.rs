//! Rendering without a display: a Slint platform whose only window is a
//! software-rendered pixel buffer. Used by `kiosk screenshot` and the
//! first-frame benchmark, so both measure the renderer the terminal ships.

use std::path::Path;
use std::rc::Rc;

use slint::PlatformError;
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};
use slint::platform::{Platform, WindowAdapter};

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }
}

/// The one headless window of this process.
pub struct HeadlessWindow {
    window: Rc<MinimalSoftwareWindow>,
}

impl HeadlessWindow {
    /// Installs the headless platform; must run before any Slint component
    /// is created, once per process.
    pub fn install() -> Result<HeadlessWindow, PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            window: window.clone(),
        }))
        .map_err(|e| PlatformError::Other(e.to_string()))?;
        Ok(HeadlessWindow { window })
    }

    pub fn set_size(&self, width: u32, height: u32) {
        self.window
            .set_size(slint::PhysicalSize::new(width, height));
    }

    /// Lays out and paints the current state into an RGB image.
    pub fn render(&self) -> Frame {
        slint::platform::update_timers_and_animations();
        let size = self.window.size();
        let (width, height) = (size.width as usize, size.height as usize);
        let mut buffer = vec![PremultipliedRgbaColor::default(); width * height];
        // Force a full repaint: the window may have been drawn before.
        self.window.request_redraw();
        self.window.draw_if_needed(|renderer| {
            renderer.render(&mut buffer, width);
        });
        let rgb = buffer
            .iter()
            .flat_map(|p| [p.red, p.green, p.blue])
            .collect();
        Frame {
            width: width as u32,
            height: height as u32,
            rgb,
        }
    }
}

/// A rendered screen, 8-bit RGB.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Frame {
    pub fn save_png(&self, path: &Path) -> std::io::Result<()> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer
            .write_image_data(&self.rgb)
            .map_err(std::io::Error::other)?;
        Ok(())
    }
}
