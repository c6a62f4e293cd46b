//! The async runtime that a call of the seam runs on, started for that call alone: a cache hit
//! never starts one.

use crate::error::Error;

/// Runs `work` on a current-thread runtime started only now: a cache hit never starts one.
pub fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup { detail: format!("cannot start the async runtime: {e}") })?;
    Ok(runtime.block_on(work))
}
