//! The part of the appliance other code may link: its configuration
//! ([`config`]), read and validated without I/O beyond reading the file.
//! It is a library so that the fuzz targets (`fuzz/`) drive the same
//! parser the daemon runs; everything else lives in the `pullprint` binary.

// The configuration's documentation names its private stages, for readers
// of the source (as the binary's documentation, which includes private
// items, did before this library existed).
#![allow(rustdoc::private_intra_doc_links)]

pub mod config;
