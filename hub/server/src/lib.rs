//! The dispatch hub of the public legal-service terminals.
//!
//! Terminals in township justice offices connect over a WebSocket, ask for
//! a lawyer on a topic and wait in a queue; duty lawyers sign in from a
//! browser console and are offered calls; the hub relays the WebRTC
//! signaling between the two parties of each call (media goes peer to peer
//! or through TURN, never through the hub), writes a record of every call,
//! stores messages residents leave, and reports usage figures.
//!
//! One concept per module, in the order a request meets them:
//!
//! * [`config`]: `hub/hub.toml` and `HUB_*` overrides.
//! * [`server`]: HTTP routes, static console files, start-up.
//! * [`auth`]: terminal tokens, lawyer passwords (Argon2) and sessions.
//! * [`conn`]: framing rules of one WebSocket (size, rate, decoding).
//! * [`terminal`] / [`lawyer`]: one connection of each kind.
//! * [`hub`]: the task that owns live state; the signaling relay.
//! * [`dispatch`]: queue and lawyers, pure logic with the matching rules.
//! * [`turn`]: STUN/TURN servers and short-lived TURN credentials.
//! * [`db`] / [`records`]: SQLite on its own thread; what is stored.
//! * [`stats`]: usage figures.
//! * [`admin`]: the `hub admin` commands.
//!
//! The message schema is the `hub-protocol` crate.
//!
//! # Scaling
//! One instance holds all live state in the [`hub`] task, which is what a
//! city needs (thousands of idle terminals, tens of lawyers). Several
//! instances for a province would move records and sessions to PostgreSQL
//! and queue/presence events to its LISTEN/NOTIFY or a broker, as
//! DESIGN.md says; the dispatcher's rules stay as they are.

pub mod admin;
pub mod auth;
pub mod config;
pub mod conn;
pub mod db;
pub mod dispatch;
pub mod hub;
pub mod lawyer;
pub mod records;
pub mod server;
pub mod stats;
pub mod terminal;
pub mod turn;
