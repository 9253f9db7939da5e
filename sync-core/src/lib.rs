//! StackSmart's sync client logic, with no web dependencies: tested natively here and
//! compiled into the extension's wasm, where thin wrappers call it (the background for the
//! transport and storage, the options page for Argon2).
//!
//! - [`keys`]: Argon2id → HKDF key scheme, the data key, its wrapping, the recovery key,
//!   XChaCha20-Poly1305 sealing with the account, collection and record id bound in.
//! - [`wire`]: the server's HTTP bodies.
//! - [`records`]: the wallet document as per-entry records.
//! - [`merge`]: the three-way merge of entries.
//! - [`client`]: one sync round over a [`client::Transport`].
//! - [`retry`]: `Retry-After` and the time before which no round may start.

pub mod client;
pub mod keys;
pub mod merge;
pub mod records;
pub mod retry;
pub mod wire;
