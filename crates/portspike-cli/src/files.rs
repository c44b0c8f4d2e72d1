//! Opening the files a command is given, with errors that name the file and
//! say what is wrong in words: a loop of symbolic links, a path longer than
//! the system takes, a FIFO where a command must seek, each told apart
//! (the system's own texts, "Illegal seek" or a bare "No such file or
//! directory", say neither which file nor what to do).

use anyhow::{anyhow, Error, Result};
use std::fs::File;
use std::path::Path;

/// `path` could not be opened or examined: the reason in words.
pub fn open_error(path: &Path, e: &std::io::Error) -> Error {
    let p = path.display();
    let bytes = path.as_os_str().len();
    let longest = path
        .components()
        .map(|c| c.as_os_str().len())
        .max()
        .unwrap_or(0);
    let why = match e.raw_os_error() {
        // ELOOP
        Some(40) => "a loop of symbolic links (a link leads back to itself): nothing to read".to_string(),
        // ENAMETOOLONG
        Some(36) => format!(
            "the path is longer than the system takes ({bytes} bytes, its longest name {longest}; a name may have 255, a path 4,095)"
        ),
        // ENOTDIR
        Some(20) => "a part of the path before the last is not a directory".to_string(),
        // ESPIPE
        Some(29) => "cannot seek in it (a pipe or FIFO): give a regular file".to_string(),
        _ => match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        },
    };
    anyhow!("{p}: {why}")
}

/// What kind of file `path` is, in words, when it is not a regular file.
fn not_regular(path: &Path) -> Result<Option<&'static str>> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, &e))?;
    let t = meta.file_type();
    if t.is_file() {
        return Ok(None);
    }
    if t.is_dir() {
        return Ok(Some("a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Ok(Some("a FIFO (a named pipe)"));
        }
        if t.is_socket() {
            return Ok(Some("a socket"));
        }
        if t.is_char_device() || t.is_block_device() {
            return Ok(Some("a device"));
        }
    }
    Ok(Some("not a regular file"))
}

/// Open `path` for reading, which may be a pipe or FIFO (read once, in order).
pub fn open(path: &Path) -> Result<File> {
    if let Some(what) = not_regular(path)? {
        if what == "a directory" {
            return Err(anyhow!(
                "{}: a directory, where a file was expected",
                path.display()
            ));
        }
    }
    File::open(path).map_err(|e| open_error(path, &e))
}

/// Open `path` for a reader that seeks in it (`why`: what it seeks for):
/// anything but a regular file is refused before it is opened (opening a
/// FIFO would wait for a writer).
pub fn open_seekable(path: &Path, why: &str) -> Result<File> {
    if let Some(what) = not_regular(path)? {
        return Err(anyhow!(
            "{}: {what}, where a regular file is needed ({why})",
            path.display()
        ));
    }
    File::open(path).map_err(|e| open_error(path, &e))
}

/// Refuse to write `output` over one of `inputs` (the same file, by any
/// name): the capture an output is made from is never overwritten.
pub fn refuse_overwrite(output: &Path, inputs: &[std::path::PathBuf], what: &str) -> Result<()> {
    let Ok(out) = std::fs::canonicalize(output) else {
        return Ok(());
    };
    if inputs
        .iter()
        .any(|f| std::fs::canonicalize(f).is_ok_and(|f| f == out))
    {
        return Err(anyhow!(
            "refusing to write {what} {} over the capture it is read from: name another file",
            output.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_failure_names_the_file_and_says_what_is_wrong() {
        let dir = std::env::temp_dir().join(format!("portspike-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a"), dir.join("b"));
        let _ = std::fs::remove_file(&a);
        let _ = std::fs::remove_file(&b);
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = open(&a).unwrap_err().to_string();
        assert!(e.contains("a: a loop of symbolic links"), "{e}");
        let long = dir.join("x".repeat(300));
        let e = open(&long).unwrap_err().to_string();
        assert!(
            e.contains("longer than the system takes") && e.contains("its longest name 300"),
            "{e}"
        );
        let e = open(&dir.join("none")).unwrap_err().to_string();
        assert!(e.ends_with("none: no such file or directory"), "{e}");
        let e = open_seekable(&dir, "to read pages")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a directory, where a regular file is needed (to read pages)"),
            "{e}"
        );
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            let e = open_seekable(&fifo, "to read pages")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("fifo: a FIFO (a named pipe), where a regular file is needed"),
                "{e}"
            );
        }
    }
}
