//! Pullprint's end-to-end tests: one binary, one module per capability.

mod ad;
mod crash;
mod identity;
mod ipp;
mod lifecycle;
mod panel;
mod release;
mod soak;
mod store_disk;
