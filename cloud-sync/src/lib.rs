//! Pullprint's link to the company's cloud tenant: a durable outbox of job
//! metadata batches and sealed job copies, shipped to an S3-compatible object
//! store (or a local folder, the embedded default).
//!
//! It takes records and already-sealed blobs and knows nothing of the local
//! connector's internals. The outbox and the object store client arrive with
//! the cloud-sync issue; until then this crate is empty on purpose, so that
//! the workspace has its final shape and nothing depends on it yet.
