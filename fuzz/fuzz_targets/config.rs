//! The configuration parser the daemon runs (`Config::from_toml_str`): any
//! text gives a configuration or at least one error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pullprint::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::from_toml_str(text) {
        Ok(config) => drop(config.dangerous_settings()),
        Err(errors) => {
            assert!(!errors.0.is_empty(), "refused with no error");
            drop(errors.to_string());
        }
    }
});
