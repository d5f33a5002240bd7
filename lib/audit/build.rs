//! Rebuild when a migration changes: the tests embed them with `sqlx::migrate!`.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
