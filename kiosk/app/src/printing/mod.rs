//! Receipts: what they say (`receipts`), the persistent print queue
//! (`queue`) and the thread that prints them (`service`).

pub mod queue;
pub mod receipts;
pub mod service;
