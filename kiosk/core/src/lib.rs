//! The terminal's behaviour without a UI: configuration, the resident's
//! session (screens, navigation, idle reset). The Slint application renders
//! this state and forwards taps; tests drive it directly.

pub mod config;
pub mod idle;
pub mod session;

pub use config::{Config, ConfigError, Orientation};
pub use idle::IdlePhase;
pub use session::{Effect, Screen, Session};
