//! Pullprint's end-to-end tests: one binary, one module per capability.

mod ad;
mod brute;
mod cloud;
mod console;
mod console_pages;
mod crash;
mod hostile;
mod identity;
mod ipp;
mod lifecycle;
mod panel;
mod phone;
mod release;
mod roaming;
mod routes;
mod scout;
mod soak;
mod store_disk;
mod tenant;
mod tls;
