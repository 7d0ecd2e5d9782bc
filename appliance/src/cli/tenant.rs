//! `pullprint tenant`: the cloud tenant, from the command line.

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub(super) enum TenantCommand {
    /// Test the connection to the tenant step by step (DNS, connection, TLS,
    /// credentials, bucket, permissions) and say which step failed.
    Check,
}

pub(super) fn tenant(cfg: &crate::config::Config, command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Check => check(cfg),
    }
}

fn check(cfg: &crate::config::Config) -> anyhow::Result<()> {
    let config = cfg.tenant_config()?;
    let tenant = cloud_sync::tenant::Tenant::open(&config)?;
    println!("Tenant: {}", tenant.describe);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match runtime.block_on(tenant.check()) {
        Ok(passed) => {
            for p in passed {
                println!("  ok   {p}");
            }
            println!(
                "The tenant is reachable and these credentials may list, write, read and delete under its prefix."
            );
            Ok(())
        }
        Err(e) => anyhow::bail!("tenant check failed at {e}"),
    }
}
