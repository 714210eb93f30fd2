//! Where the bytes of attachments live: a folder on this machine (the default) or an
//! S3-compatible bucket that every instance reaches, both behind the `object_store` crate.
//! The database keeps the rows (`attachments.storage_path` is the key here); this module
//! keeps the files. Callers are synchronous (intake runs on blocking threads), so the
//! store drives its futures on a small runtime of its own and waits for them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use crate::error::{StorageError, StorageResult};

/// An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage, a cloud provider's).
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// `http://127.0.0.1:9000` for a store that is not AWS; empty for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// Keys are written under this prefix (`tongdai/attachments`), so one bucket can hold
    /// several deployments.
    pub prefix: String,
    /// Without keys, the standard AWS variables and instance credentials are used.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: bool,
    /// Each request must be answered within this long (a photo is at most a few MB).
    pub timeout: Duration,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// One stored object and how long ago it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub age: Duration,
}

/// The attachment store every part of the server uses; cheap to clone.
#[derive(Clone)]
pub struct AttachmentStore {
    inner: Arc<dyn ObjectStore>,
    runtime: Arc<StoreRuntime>,
    /// `Some` for the local folder: the sweep walks it itself, since `LocalFileSystem`
    /// hides the staging files (`name#1`) that a killed write leaves behind.
    local_root: Option<PathBuf>,
    describe: String,
}

impl fmt::Debug for AttachmentStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe)
    }
}

impl AttachmentStore {
    /// Files under `root` (created if missing), one folder per ticket.
    pub fn local(root: &Path) -> StorageResult<Self> {
        std::fs::create_dir_all(root).map_err(|source| io_error(root, source))?;
        let describe = format!("attachment folder {}", root.display());
        let store = LocalFileSystem::new_with_prefix(root)
            .map_err(|source| object_error(&describe, "", source, false))?
            .with_automatic_cleanup(true);
        Ok(Self {
            inner: Arc::new(store),
            runtime: Arc::new(StoreRuntime::new(&describe)?),
            local_root: Some(root.to_path_buf()),
            describe,
        })
    }

    /// A bucket every instance reaches. Nothing is sent yet: the first listing (the
    /// start-up sweep) tells whether the bucket answers.
    pub fn s3(settings: &S3Settings) -> StorageResult<Self> {
        use_ring_for_tls();
        let prefix = settings.prefix.trim_matches('/');
        let describe = if prefix.is_empty() {
            format!("attachment bucket s3://{}", settings.bucket)
        } else {
            format!("attachment bucket s3://{}/{prefix}", settings.bucket)
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_allow_http(settings.allow_http)
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(settings.timeout)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_allow_http(settings.allow_http),
            )
            // A photo upload waits at most about this long for a store that is away,
            // then the citizen is told to try again; nothing is stored half.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: settings.timeout,
            });
        if let Some(endpoint) = settings.endpoint.as_deref().filter(|e| !e.is_empty()) {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .map_err(|source| object_error(&describe, "", source, false))?;
        let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(PrefixStore::new(store, prefix))
        };
        Ok(Self {
            inner,
            runtime: Arc::new(StoreRuntime::new(&describe)?),
            local_root: None,
            describe,
        })
    }

    /// `attachment folder data/attachments` or `attachment bucket s3://…`, for logs.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Stores `bytes` at `key`, whole or not at all (the local folder writes a staging
    /// file and renames it; S3 makes an object visible only once it is complete).
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> StorageResult<()> {
        let location = self.key(key)?;
        let store = self.inner.clone();
        self.run(key, async move {
            store
                .put(&location, PutPayload::from(bytes))
                .await
                .map(|_| ())
        })
    }

    /// The bytes stored at `key`; `StorageError::NotFound` when there are none.
    pub fn get(&self, key: &str) -> StorageResult<Vec<u8>> {
        let location = self.key(key)?;
        let store = self.inner.clone();
        self.run(key, async move {
            let body = store.get(&location).await?;
            body.bytes().await.map(|b| b.to_vec())
        })
    }

    /// Removes `key`; a key that is already gone is not an error.
    pub fn delete(&self, key: &str) -> StorageResult<()> {
        let location = self.key(key)?;
        if let Some(root) = &self.local_root {
            let path = root.join(key);
            return match std::fs::remove_file(&path) {
                Ok(()) => {
                    if let Some(dir) = path.parent()
                        && dir != root
                    {
                        // Only succeeds when the ticket's folder is now empty.
                        let _ = std::fs::remove_dir(dir);
                    }
                    Ok(())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(io_error(&path, source)),
            };
        }
        let store = self.inner.clone();
        match self.run(key, async move { store.delete(&location).await }) {
            Err(StorageError::NotFound(_)) => Ok(()),
            other => other,
        }
    }

    /// The top-level folders (`{ticket id}`) that hold at least one object.
    pub fn folders(&self) -> StorageResult<Vec<String>> {
        if let Some(root) = &self.local_root {
            let entries = match std::fs::read_dir(root) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(source) => return Err(io_error(root, source)),
            };
            let mut folders = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| io_error(root, e))?;
                if entry.path().is_dir()
                    && let Some(name) = entry.file_name().to_str()
                {
                    folders.push(name.to_owned());
                }
            }
            folders.sort();
            return Ok(folders);
        }
        let store = self.inner.clone();
        let listed = self.run("", async move { store.list_with_delimiter(None).await })?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect())
    }

    /// Every object under `folder/`, with its age; on the local folder this includes the
    /// staging files of writes that never finished.
    pub fn objects_in(&self, folder: &str) -> StorageResult<Vec<StoredObject>> {
        let prefix = self.key(folder)?;
        if let Some(root) = &self.local_root {
            let dir = root.join(folder);
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(source) => return Err(io_error(&dir, source)),
            };
            let mut objects = Vec::new();
            for entry in entries {
                let path = entry.map_err(|e| io_error(&dir, e))?.path();
                let (Some(name), true) =
                    (path.file_name().and_then(|n| n.to_str()), path.is_file())
                else {
                    continue;
                };
                let age = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .unwrap_or(Duration::ZERO);
                objects.push(StoredObject {
                    key: format!("{folder}/{name}"),
                    age,
                });
            }
            objects.sort_by(|a, b| a.key.cmp(&b.key));
            return Ok(objects);
        }
        let store = self.inner.clone();
        let metas = self.run(folder, async move {
            let mut listing = store.list(Some(&prefix));
            let mut metas = Vec::new();
            while let Some(meta) = listing.next().await {
                metas.push(meta?);
            }
            Ok(metas)
        })?;
        let now = SystemTime::now();
        Ok(metas
            .into_iter()
            .map(|meta| StoredObject {
                key: meta.location.to_string(),
                age: now
                    .duration_since(SystemTime::from(meta.last_modified))
                    .unwrap_or(Duration::ZERO),
            })
            .collect())
    }

    /// Removes every object under `folder/` (the photos of a ticket that was not stored).
    pub fn delete_folder(&self, folder: &str) -> StorageResult<()> {
        self.key(folder)?;
        if let Some(root) = &self.local_root {
            let dir = root.join(folder);
            return match std::fs::remove_dir_all(&dir) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(io_error(&dir, source)),
            };
        }
        for object in self.objects_in(folder)? {
            self.delete(&object.key)?;
        }
        Ok(())
    }

    fn key(&self, key: &str) -> StorageResult<Key> {
        Key::parse(key).map_err(|source| object_error(&self.describe, key, source.into(), false))
    }

    /// Drives `work` on the store's runtime and waits for it; safe from any thread,
    /// including one that is itself running async code.
    fn run<T: Send + 'static>(
        &self,
        key: &str,
        work: impl Future<Output = object_store::Result<T>> + Send + 'static,
    ) -> StorageResult<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.handle().spawn(async move {
            let _ = tx.send(work.await);
        });
        match rx.recv() {
            Ok(result) => result.map_err(|source| {
                object_error(&self.describe, key, source, self.local_root.is_none())
            }),
            Err(_) => Err(StorageError::Corrupt(format!(
                "{}: the store's worker stopped before answering",
                self.describe
            ))),
        }
    }
}

/// The bucket client's TLS (rustls, built without a provider of its own) uses ring, the
/// provider the rest of the tree already has. Installed once per process; a provider
/// installed before (by anything else) is kept.
fn use_ring_for_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A missing object is `StorageError::NotFound` whatever the store, so callers match one
/// variant; every other failure keeps the store's error as its source.
fn object_error(store: &str, key: &str, source: object_store::Error, remote: bool) -> StorageError {
    if matches!(source, object_store::Error::NotFound { .. }) {
        return StorageError::NotFound(format!("{store}: {key}"));
    }
    StorageError::Attachment {
        store: store.to_owned(),
        key: key.to_owned(),
        source: Box::new(source),
        remote,
    }
}

fn io_error(path: &Path, source: std::io::Error) -> StorageError {
    StorageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The runtime the store's futures run on. Shut down without waiting when the last clone
/// goes, so dropping it inside an async context (an actix worker at shutdown) is safe.
struct StoreRuntime(Option<tokio::runtime::Runtime>);

impl StoreRuntime {
    fn new(describe: &str) -> StorageResult<Self> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tongdai-objects")
            .enable_all()
            .build()
            .map(|rt| Self(Some(rt)))
            .map_err(|e| {
                StorageError::Corrupt(format!("{describe}: cannot start its runtime: {e}"))
            })
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        match &self.0 {
            Some(rt) => rt.handle(),
            None => unreachable!("the runtime is taken only on drop"),
        }
    }
}

impl Drop for StoreRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn a_local_store_keeps_writes_whole_and_lists_what_the_sweep_needs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = AttachmentStore::local(&dir.path().join("attachments")).expect("store");
        store.put("t1/a.png", b"png bytes".to_vec()).expect("put");
        assert_eq!(store.get("t1/a.png").expect("get"), b"png bytes");
        assert!(matches!(
            store.get("t1/missing.png"),
            Err(StorageError::NotFound(_))
        ));
        // A write killed half-way leaves a staging file the object store would not list.
        std::fs::write(dir.path().join("attachments/t1/b.png#3"), b"half").expect("staging");
        assert_eq!(store.folders().expect("folders"), vec!["t1".to_owned()]);
        let keys: Vec<String> = store
            .objects_in("t1")
            .expect("objects")
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, vec!["t1/a.png".to_owned(), "t1/b.png#3".to_owned()]);
        store.delete("t1/b.png#3").expect("delete staging");
        store.delete("t1/b.png#3").expect("deleting twice is fine");
        store.delete_folder("t1").expect("delete folder");
        assert!(store.folders().expect("folders").is_empty());
    }

    #[test]
    fn a_key_that_climbs_out_of_the_store_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = AttachmentStore::local(dir.path()).expect("store");
        assert!(store.put("../escape.png", b"x".to_vec()).is_err());
        assert!(
            !dir.path()
                .parent()
                .expect("parent")
                .join("escape.png")
                .exists()
        );
    }

    #[test]
    fn the_store_answers_from_inside_an_async_runtime_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = AttachmentStore::local(dir.path()).expect("store");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            store.put("t/x.jpg", vec![1, 2, 3]).expect("put");
            assert_eq!(store.get("t/x.jpg").expect("get"), vec![1, 2, 3]);
        });
        // Dropping the last clone inside the runtime must not panic.
        runtime.block_on(async move { drop(store) });
    }

    #[test]
    fn a_bucket_over_tls_that_does_not_answer_is_unavailable_not_a_panic() {
        // Builds the rustls client (ring installed as its provider) and fails to connect.
        let store = AttachmentStore::s3(&S3Settings {
            bucket: "tongdai".into(),
            endpoint: Some("https://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            prefix: "p".into(),
            access_key_id: Some("id".into()),
            secret_access_key: Some("secret".into()),
            allow_http: false,
            timeout: Duration::from_secs(2),
        })
        .expect("store");
        let refused = store
            .put("t/a.png", vec![1])
            .expect_err("nothing listens there");
        assert!(refused.is_unavailable(), "{refused}");
        assert!(refused.to_string().contains("s3://tongdai/p"), "{refused}");
    }

    #[test]
    fn the_secret_key_never_shows_in_debug_output() {
        let settings = S3Settings {
            bucket: "b".into(),
            endpoint: None,
            region: "us-east-1".into(),
            prefix: String::new(),
            access_key_id: Some("AKIA".into()),
            secret_access_key: Some("very-secret".into()),
            allow_http: false,
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{settings:?}").contains("very-secret"));
    }
}
