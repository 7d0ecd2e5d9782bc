//! Pullprint's link to the company's cloud tenant: a durable outbox of job
//! metadata batches and sealed job copies, shipped to an S3-compatible object
//! store (or a local folder, the embedded default).
//!
//! It takes records and already-sealed blobs and knows nothing of the local
//! connector's internals. Its parts: [`tenant`], the object store (an
//! S3-compatible bucket under a prefix, or a local folder) and the
//! connection test that names the step that fails; [`outbox`], the durable
//! queue; [`upload`], its drain; and [`roam`], roaming release across sites.

pub mod outbox;
pub mod roam;
pub mod tenant;
pub mod upload;
