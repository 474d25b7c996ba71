//! The terminal's behaviour without a UI: configuration, the resident's
//! session (screens, navigation, idle reset). The Slint application renders
//! this state and forwards taps; tests drive it directly.

pub mod config;
pub mod consultation;
pub mod identify;
pub mod idle;
pub mod session;

pub use config::{
    Config, ConfigError, ConsultationConfig, DevicePort, IdCardConfig, Orientation, PrinterConfig,
    PrinterProfile, UnprintedPolicy,
};
pub use consultation::{Consultation, HubCommand};
pub use identify::{
    Failure, Identification, Identity, IdentitySource, Purpose, ReaderState, Step, TypedError,
    TypedField,
};
pub use idle::IdlePhase;
pub use session::{Effect, Screen, Session};
