//! Random secrets handed to someone once (API keys, setup and reset links),
//! and the digest under which the database keeps them. A fast hash is
//! enough: each secret is at least 256 random bits, not a chosen password.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a secret, as stored.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}
