//! ICE servers handed to the parties, with short-lived TURN credentials in
//! coturn's `use-auth-secret` scheme: username `<expiry>:<id>` (expiry in
//! Unix seconds), password `base64(HMAC-SHA1(secret, username))`. coturn
//! checks them with the same `static-auth-secret`, so the hub never talks to
//! coturn.

use base64::Engine;
use hmac::{Hmac, Mac};
use hub_protocol::IceServer;
use sha1::Sha1;

use crate::config::IceConfig;

/// `(username, password)` for `id`, valid until `now_secs + ttl_secs`.
pub fn credentials(secret: &str, id: &str, now_secs: u64, ttl_secs: u32) -> (String, String) {
    let username = format!("{}:{}", now_secs + u64::from(ttl_secs), id);
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(username.as_bytes());
    let password = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, password)
}

/// The STUN servers, and the TURN servers with fresh credentials for `id`.
pub fn ice_servers(config: &IceConfig, id: &str, now_secs: u64) -> Vec<IceServer> {
    let mut servers = Vec::new();
    if !config.stun_urls.is_empty() {
        servers.push(IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if !config.turn_urls.is_empty() && !config.turn_secret.is_empty() {
        let (username, password) =
            credentials(&config.turn_secret, id, now_secs, config.turn_ttl_secs);
        servers.push(IceServer {
            urls: config.turn_urls.clone(),
            username: Some(username),
            credential: Some(password),
        });
    }
    servers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_follow_coturn_rest_scheme() {
        // Reference value computed independently:
        // printf '%s' '1700003600:call-1' | openssl dgst -sha1 -hmac 'north' -binary | base64
        let (user, pass) = credentials("north", "call-1", 1_700_000_000, 3600);
        assert_eq!(user, "1700003600:call-1");
        assert_eq!(pass, "FjhuqnwEOvD4AzFkv7xhoMpXmKY=");
        let (_, again) = credentials("north", "call-1", 1_700_000_000, 3600);
        assert_eq!(pass, again);
        let (_, other) = credentials("south", "call-1", 1_700_000_000, 3600);
        assert_ne!(pass, other);
    }

    #[test]
    fn no_turn_without_secret() {
        let config = IceConfig {
            stun_urls: vec!["stun:s:3478".into()],
            turn_urls: vec![],
            turn_secret: String::new(),
            turn_ttl_secs: 60,
        };
        let servers = ice_servers(&config, "x", 0);
        assert_eq!(servers.len(), 1);
        assert!(servers[0].username.is_none());
    }
}
