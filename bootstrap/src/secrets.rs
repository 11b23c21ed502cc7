//! Secrets that a zero-config start generates once and keeps in `server.data_dir`.

use std::io::Write;
use std::path::Path;

use rand::RngCore;

/// The configured value, else the one stored in `data_dir/<file>`, else a new random
/// one written there with mode 0600 (and a log line saying where).
pub fn ensure(data_dir: &Path, file: &str, configured: &str, what: &str) -> anyhow::Result<String> {
    if !configured.is_empty() {
        return Ok(configured.to_string());
    }
    let path = data_dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.to_string());
        }
        anyhow::bail!(
            "{} holds a {what} shorter than 32 bytes; delete it to generate a new one",
            path.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new {what} and stored it");
    Ok(secret)
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("bedrud-secrets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = ensure(&dir, "jwt_secret", "", "JWT secret").expect("generate");
        assert_eq!(first.len(), 64);
        let mode = std::fs::metadata(dir.join("jwt_secret"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            ensure(&dir, "jwt_secret", "", "JWT secret").expect("reuse"),
            first
        );
        assert_eq!(
            ensure(&dir, "jwt_secret", "configured-wins", "x").expect("cfg"),
            "configured-wins"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
