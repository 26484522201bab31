//! A cancellation signal shared by the driver and every task it starts.
//!
//! A `watch` channel rather than a dependency: the state is one bool that only
//! ever goes from false to true, and late subscribers must still see it.

use tokio::sync::watch;

/// Fires [`Cancel`]s; dropping it fires them too, so a driver that dies
/// takes its tasks with it.
#[derive(Debug)]
pub(crate) struct CancelSource {
    tx: watch::Sender<bool>,
}

/// Resolves once cancellation has been requested. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Cancel {
    rx: watch::Receiver<bool>,
    /// A second signal (one interface's own), which fires this one too.
    extra: Option<watch::Receiver<bool>>,
}

impl CancelSource {
    pub(crate) fn new() -> (Self, Cancel) {
        let (tx, rx) = watch::channel(false);
        (CancelSource { tx }, Cancel { rx, extra: None })
    }

    pub(crate) fn cancel(&self) {
        self.tx.send_replace(true);
    }
}

impl Cancel {
    /// Waits for cancellation (or for the source to be dropped).
    pub(crate) async fn cancelled(&mut self) {
        // An error means the source is gone, which counts as cancelled.
        match &mut self.extra {
            None => {
                let _ = self.rx.wait_for(|c| *c).await;
            }
            Some(extra) => {
                tokio::select! {
                    _ = self.rx.wait_for(|c| *c) => {}
                    _ = extra.wait_for(|c| *c) => {}
                }
            }
        }
    }

    /// A cancel that fires with this one or with the returned source (one
    /// interface's, so it can be stopped alone).
    pub(crate) fn child(&self) -> (CancelSource, Cancel) {
        let (tx, extra) = watch::channel(false);
        let cancel = Cancel {
            rx: self.rx.clone(),
            extra: Some(extra),
        };
        (CancelSource { tx }, cancel)
    }
}
