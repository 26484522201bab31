//! Announce signatures verified on threads of their own, so a burst of
//! announces uses every core instead of holding up the node's one task
//! (`rns_proto::node`'s deferred verification). Jobs go out on a channel the
//! threads share; results come back on a bounded tokio channel the actor
//! selects on. The node caps how many jobs are out, and the results channel
//! has room for all of them, so a thread never waits to hand one back.

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};

use rns_proto::node::{VerifiedJob, VerifyJob};
use tokio::sync::mpsc;

#[derive(Debug)]
pub(crate) struct Verifier {
    /// The threads end when this is dropped (with the actor).
    jobs: std_mpsc::Sender<VerifyJob>,
    pub(crate) results: mpsc::Receiver<VerifiedJob>,
}

impl Verifier {
    /// Starts `threads` verifier threads; `capacity` is the node's cap on
    /// jobs out at once. None when no thread could be started (the node then
    /// verifies in line).
    pub(crate) fn start(threads: usize, capacity: usize) -> Option<Verifier> {
        let (jobs, job_rx) = std_mpsc::channel::<VerifyJob>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, results) = mpsc::channel(capacity.max(1));
        let mut started = 0;
        for i in 0..threads {
            let (rx, tx) = (Arc::clone(&job_rx), done_tx.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("rns-verify-{i}"))
                .spawn(move || verify_loop(&rx, &tx));
            if spawned.is_ok() {
                started += 1;
            }
        }
        (started > 0).then_some(Verifier { jobs, results })
    }

    /// Hands a job to the threads; gives it back if they are gone.
    pub(crate) fn submit(&self, job: VerifyJob) -> Option<VerifyJob> {
        self.jobs.send(job).err().map(|e| e.0)
    }
}

fn verify_loop(jobs: &Mutex<std_mpsc::Receiver<VerifyJob>>, done: &mpsc::Sender<VerifiedJob>) {
    loop {
        // The lock is held only while waiting for the next job, never while
        // verifying, so the threads verify in parallel.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if done.blocking_send(job.verify()).is_err() {
            return;
        }
    }
}

/// Verifier threads for this machine: one per core, at most four.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}
