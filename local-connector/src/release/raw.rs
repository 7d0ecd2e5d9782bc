//! The `socket` transport: the document alone over TCP (RAW, AppSocket,
//! JetDirect, usually port 9100). It has no status and no job id: a RAW
//! printer cannot confirm it printed, so such a release is recorded as
//! "sent, unverified".

use super::ReleaseError;
use super::client::{pump, tcp};
use super::uri::PrinterUri;
use crate::store::JobReader;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// How long the printer may take to close after the last byte.
const LINGER: Duration = Duration::from_secs(10);

/// Stream the job to `uri`; the bytes sent.
pub(super) async fn send(uri: &PrinterUri, reader: JobReader, timeout: Duration) -> Result<u64, ReleaseError> {
    let mut s = tcp(uri, timeout).await?;
    let (tx, mut rx) = mpsc::channel(4);
    let producer = tokio::task::spawn_blocking(move || pump(reader, &tx));
    let broken = |e: std::io::Error| ReleaseError::Broken(format!("while sending: {e}"));
    while let Some(frame) = rx.recv().await {
        let frame = frame.map_err(|_| ReleaseError::Damaged)?;
        if let Ok(data) = frame.into_data() {
            s.write_all(&data).await.map_err(broken)?;
        }
    }
    let sent = producer.await.map_err(|e| ReleaseError::Broken(format!("while decrypting: {e}")))??;
    s.shutdown().await.map_err(broken)?;
    // A printer closes once it has taken the job; what it says is ignored.
    let mut sink = [0u8; 512];
    let _ = tokio::time::timeout(LINGER, async { while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {} }).await;
    Ok(sent)
}
