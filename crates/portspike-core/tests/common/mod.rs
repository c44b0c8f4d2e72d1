//! What the integration tests share: the shared corpus of real captures.

/// The bytes of `name` in `../shared/captures` (beside the repository).
pub fn corpus(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/../../../shared/captures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}
