//! Finding and opening inputs.

use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Every regular file under `sources` (a file stands for itself; folders are walked recursively),
/// in name order within each folder. A source that cannot be read is an error naming it.
pub fn expand(sources: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for source in sources {
        let meta = fs::metadata(source).with_context(|| format!("cannot read {}", source.display()))?;
        if meta.is_dir() {
            walk(source, &mut files)?;
        } else {
            files.push(source.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort();
    for path in entries {
        let meta = fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            walk(&path, files)?;
        } else if meta.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// The name a file's documents are identified by (their `event_id` prefix): its path as given.
pub fn source_name(path: &Path) -> String {
    path.display().to_string()
}
