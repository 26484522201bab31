//! Start-up stages: the HTTP server answers at once and reports these while
//! the network stack comes up in the background.

use std::fmt;

/// Where start-up stands: `starting → rns → identity → ready`, or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Nothing started yet.
    Starting,
    /// The Reticulum stack is starting (config loaded, interfaces coming up).
    Rns,
    /// Our identity is being brought online on the LXMF router.
    Identity,
    /// The network stack and our identity are up.
    Ready,
    /// Start-up stopped; [`StartupStatus::error`] says why.
    Failed,
}

impl Stage {
    /// The name the reference reports in `/api/v1/status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Starting => "starting",
            Stage::Rns => "rns",
            Stage::Identity => "identity",
            Stage::Ready => "ready",
            Stage::Failed => "failed",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The current stage and, when it failed, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupStatus {
    pub stage: Stage,
    pub error: Option<String>,
}

impl StartupStatus {
    pub(crate) fn at(stage: Stage) -> Self {
        StartupStatus { stage, error: None }
    }

    pub fn is_ready(&self) -> bool {
        self.stage == Stage::Ready
    }
}
