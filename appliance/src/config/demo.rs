//! The configuration `pullprint demo` runs with: the demo's defaults
//! (loopback only, unprivileged ports, a small disk reserve), with any
//! `--config` file laid over them key by key.

use super::{Config, ConfigErrors, defaults, overlay};
use std::path::PathBuf;

/// The demo's own defaults, as configuration text.
fn base() -> toml::Table {
    let text = format!(
        "[site]\nname = \"Pullprint demo\"\nhostnames = [\"localhost\"]\naddresses = [\"127.0.0.1\", \"::1\"]\n\
         [listen]\nweb = [\"{}\"]\nipp = [\"{}\"]\npanel = [\"{}\"]\n\
         [store]\nmin_free_bytes = {}\n[tenant]\ncopies = true\n",
        defaults::DEMO_WEB_LISTEN,
        defaults::DEMO_IPP_LISTEN,
        defaults::DEMO_PANEL_LISTEN,
        defaults::DEMO_MIN_FREE_BYTES,
    );
    text.parse().unwrap_or_else(|_| unreachable!("the demo's defaults are valid TOML"))
}

impl Config {
    /// The demo's configuration: its defaults, overridden by `text` (the
    /// `--config` file, empty when none). Its data folder is `data_dir`
    /// (`--data-dir`) when given, else the file's `paths.data_dir`, else
    /// what `fresh` makes. Errors are reported as for any configuration file.
    pub fn demo(
        text: &str,
        data_dir: Option<PathBuf>,
        fresh: impl FnOnce() -> std::io::Result<PathBuf>,
    ) -> Result<Config, DemoError> {
        let given: toml::Table =
            text.parse().map_err(|e: toml::de::Error| DemoError::Config(ConfigErrors::toml(&e)))?;
        let names_data_dir = given.get("paths").and_then(|p| p.get("data_dir")).is_some();
        let mut table = base();
        overlay(&mut table, given);
        let mut c = Config::from_table(&table).map_err(DemoError::Config)?;
        match data_dir {
            Some(d) => c.data_dir = d,
            None if names_data_dir => {}
            None => c.data_dir = fresh().map_err(DemoError::DataDir)?,
        }
        Ok(c)
    }
}

/// Why the demo's configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The `--config` file is not valid.
    #[error("{0}")]
    Config(ConfigErrors),
    /// The data folder could not be made.
    #[error("making the demo's data folder: {0}")]
    DataDir(#[source] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_overrides_the_demo_defaults_key_by_key() {
        let text = "[ipp]\nmax_jobs_per_user = 7\n[listen]\nipp = [\"127.0.0.1:0\"]\n";
        let c = Config::demo(text, None, || Ok("/d".into())).expect("valid");
        assert_eq!(c.max_jobs_per_user, 7);
        assert_eq!(c.ipp_listen[0].port(), 0);
        assert_eq!(c.web_listen[0].to_string(), defaults::DEMO_WEB_LISTEN, "other listen keys keep the demo's");
        assert_eq!(c.site_name, "Pullprint demo");
        assert_eq!(c.data_dir, PathBuf::from("/d"));
        let names = "[paths]\ndata_dir = \"/elsewhere\"\n";
        let named = Config::demo(names, None, || Err(std::io::ErrorKind::Other.into())).expect("valid");
        assert_eq!(named.data_dir, PathBuf::from("/elsewhere"));
        let flag = Config::demo(names, Some("/flag".into()), || Err(std::io::ErrorKind::Other.into())).expect("valid");
        assert_eq!(flag.data_dir, PathBuf::from("/flag"), "--data-dir wins over the file");
        let wrong = Config::demo("[ipp]\nmax_jobs = 1\n", None, || Ok("/d".into()));
        assert!(matches!(wrong, Err(DemoError::Config(_))), "unknown keys are errors under demo too");
    }
}
