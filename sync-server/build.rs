//! `sqlx::migrate!` embeds `migrations/` at compile time, but on stable Rust cargo does not know
//! to rebuild when only a migration file changed (a stale schema got embedded). This tells it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
