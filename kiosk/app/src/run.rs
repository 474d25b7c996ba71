//! `kiosk` / `kiosk run`: the terminal on a real display.

use std::time::Instant;

use kiosk_core::Config;
use slint::ComponentHandle;

use crate::App;
use crate::audio::Audio;
use crate::content::{self, ContentHandle};
use crate::controller::{self, Kiosk};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "no display found ({0}); this terminal needs a screen. To see its screens without one, run: kiosk screenshot --out DIR"
    )]
    NoDisplay(String),
    #[error("the UI stopped: {0}")]
    Ui(#[from] slint::PlatformError),
}

/// Shows the terminal until its window is closed.
pub fn run(config: Config) -> Result<(), RunError> {
    let started = Instant::now();
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err(RunError::NoDisplay(
            "neither DISPLAY nor WAYLAND_DISPLAY is set".into(),
        ));
    }
    let app = App::new().map_err(|e| RunError::NoDisplay(e.to_string()))?;
    let (w, h) = config.terminal.orientation.size();
    app.set_landscape(w > h);
    app.window()
        .set_size(slint::LogicalSize::new(w as f32, h as f32));

    let handle = ContentHandle::loading();
    let kiosk = Kiosk::install(&app, &config, handle.clone(), Audio::start(&config.audio));
    let _ticker = controller::start_ticking(&kiosk);
    controller::attach_devices(&kiosk, &config)
        .map_err(|e| RunError::Ui(slint::PlatformError::Other(e.to_string())))?;
    // Without its hub the terminal still serves everything else; the
    // service is simply not offered.
    if let Err(e) = controller::attach_consultation(&kiosk, &config) {
        log::error!("video consultation unavailable: {e}");
    }

    // Load the library on a worker thread; the home screen shows meanwhile
    // and fills in when it arrives. The keyboard's dictionary loads when
    // search is first opened (`Kiosk::load_dictionary`).
    let (content_tx, content_rx) = futures_channel::oneshot::channel();
    let worker_config = config.clone();
    std::thread::Builder::new()
        .name("content-loader".into())
        .spawn(move || {
            let _ = content_tx.send(content::load(&worker_config));
            crate::memory::release_freed_memory();
        })
        .map_err(|e| RunError::Ui(slint::PlatformError::Other(e.to_string())))?;
    let weak = std::rc::Rc::downgrade(&kiosk);
    slint::spawn_local(async move {
        let result = content_rx
            .await
            .unwrap_or_else(|_| Err(content::LoadError::Storage("content loader stopped".into())));
        handle.finish(result);
        if let Some(k) = weak.upgrade() {
            let mut k = k.borrow_mut();
            k.search_in_background();
            k.content_changed();
        }
        log::info!(
            "library ready {} ms after start",
            started.elapsed().as_millis()
        );
    })
    .map_err(|e| RunError::Ui(slint::PlatformError::Other(e.to_string())))?;

    app.run()?;
    Ok(())
}
