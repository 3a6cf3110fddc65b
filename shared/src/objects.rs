//! Reading input objects: S3 in production (`crate::aws`), a local folder for `logpipe invoke` and
//! tests. One narrow trait, [`ObjectSource`].

use crate::delivery::ObjectStore;
use bytes::Bytes;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};

/// An object's content, as a blocking reader for the pipeline thread.
pub struct ObjectBody {
    /// The bytes, streamed.
    pub reader: Box<dyn Read + Send>,
    /// The size, when known.
    pub size: Option<u64>,
}

/// Why an object could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetError {
    /// The object does not exist (deleted after the event, or a wrong key): retrying cannot help.
    #[error("no such object")]
    NotFound,
    /// Anything else (access denied, throttling, network): worth an invocation error so AWS retries.
    #[error("{code}: {message}")]
    Other { code: String, message: String },
}

/// Reads objects.
pub trait ObjectSource: Send + Sync + 'static {
    /// Opens `bucket`/`key` for streaming.
    fn get(&self, bucket: &str, key: &str) -> impl Future<Output = Result<ObjectBody, GetError>> + Send;
}

/// Objects in a local folder: `<root>/<key>` (the bucket name is not used), for trying the
/// functions with the sample events and objects in `events/`. Writes go to `<root>/<key>` too.
#[derive(Debug, Clone)]
pub struct LocalObjects {
    root: PathBuf,
}

impl LocalObjects {
    /// Objects under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalObjects { root: root.into() }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        // Keys are relative paths; refuse anything that would leave the folder.
        let rel = Path::new(key);
        let safe = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        safe.then(|| self.root.join(rel))
    }
}

impl ObjectSource for LocalObjects {
    async fn get(&self, _bucket: &str, key: &str) -> Result<ObjectBody, GetError> {
        let path = self.path(key).ok_or(GetError::NotFound)?;
        match std::fs::File::open(&path) {
            Ok(file) => {
                let size = file.metadata().ok().map(|m| m.len());
                Ok(ObjectBody {
                    reader: Box::new(file),
                    size,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(GetError::NotFound),
            Err(e) => Err(GetError::Other {
                code: format!("{:?}", e.kind()),
                message: format!("{}: {e}", path.display()),
            }),
        }
    }
}

impl ObjectStore for LocalObjects {
    async fn put_object(&self, _bucket: &str, key: &str, body: Bytes) -> Result<(), String> {
        let path = self.path(key).ok_or_else(|| format!("refusing key {key:?}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &body).map_err(|e| format!("{}: {e}", path.display()))
    }
}
