//! `StoreHandle`: the store's own thread and a bounded command queue.
//!
//! House rule: a SQLite connection is owned by one blocking thread per
//! identity; callers send it commands with a one-shot reply. The crate stays
//! free of an async runtime: the queue is a bounded `std::sync::mpsc`
//! channel, and the reply ([`Reply`]) is a small one-shot that is both a
//! `Future` (for async callers, woken by the store thread) and blockable
//! ([`Reply::wait`]). An async caller never blocks: when the queue is full its
//! call resolves to [`Error::Busy`] at once (back-pressure the web layer can
//! answer with 503); blocking callers use [`StoreHandle::call_blocking`], which
//! waits for room.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::{Error, Result, Store};

/// Commands queued per store before callers get [`Error::Busy`].
pub const DEFAULT_QUEUE: usize = 256;

type Command = Box<dyn FnOnce(&mut Store) + Send>;

/// A cloneable handle to a store running on its own thread. The thread (and
/// the connection) ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    tx: SyncSender<Command>,
}

impl StoreHandle {
    /// Moves `store` onto a new thread with a queue of `queue` commands.
    pub fn spawn(store: Store, queue: usize) -> Result<StoreHandle> {
        let (tx, rx) = mpsc::sync_channel::<Command>(queue.max(1));
        std::thread::Builder::new()
            .name("meshchat-store".into())
            .spawn(move || {
                let mut store = store;
                while let Ok(cmd) = rx.recv() {
                    // A panicking command fails only its own reply (its sender is
                    // dropped: `Error::Closed`); rusqlite rolls back an open
                    // transaction on drop, so the connection stays usable.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| cmd(&mut store)));
                }
            })?;
        Ok(StoreHandle { tx })
    }

    /// Queues `f` without blocking; await the reply (or [`Reply::wait`] on it).
    pub fn call<T, F>(&self, f: F) -> Reply<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let (reply, cmd) = command(f);
        match self.tx.try_send(cmd) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => reply.slot.set(Err(Error::Busy)),
            Err(TrySendError::Disconnected(_)) => reply.slot.set(Err(Error::Closed)),
        }
        reply
    }

    /// Runs `f` on the store thread, waiting for room in the queue and for the
    /// answer. Not for async contexts (it blocks the calling thread).
    pub fn call_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let (reply, cmd) = command(f);
        self.tx.send(cmd).map_err(|_| Error::Closed)?;
        reply.wait()
    }
}

fn command<T, F>(f: F) -> (Reply<T>, Command)
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
{
    let slot = Arc::new(Slot::default());
    let sender = ReplySender {
        slot: Some(Arc::clone(&slot)),
    };
    let cmd: Command = Box::new(move |store| {
        let mut sender = sender;
        sender.send(f(store));
    });
    (Reply { slot }, cmd)
}

struct State<T> {
    value: Option<Result<T>>,
    waker: Option<Waker>,
}

struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new(State {
                value: None,
                waker: None,
            }),
            ready: Condvar::new(),
        }
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No code path panics while holding the lock; if one ever did, the
        // state is still a plain Option pair and safe to use.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, value: Result<T>) {
        let waker = {
            let mut st = self.lock();
            if st.value.is_none() {
                st.value = Some(value);
            }
            st.waker.take()
        };
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The store thread's end of a reply; dropping it unsent answers `Closed`.
struct ReplySender<T> {
    slot: Option<Arc<Slot<T>>>,
}

impl<T> ReplySender<T> {
    fn send(&mut self, value: Result<T>) {
        if let Some(slot) = self.slot.take() {
            slot.set(value);
        }
    }
}

impl<T> Drop for ReplySender<T> {
    fn drop(&mut self) {
        self.send(Err(Error::Closed));
    }
}

/// The answer to one command: a `Future`, or [`Reply::wait`] to block.
pub struct Reply<T> {
    slot: Arc<Slot<T>>,
}

impl<T> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply").finish_non_exhaustive()
    }
}

impl<T> Reply<T> {
    /// Blocks the calling thread until the answer arrives.
    pub fn wait(self) -> Result<T> {
        let mut st = self.slot.lock();
        loop {
            if let Some(v) = st.value.take() {
                return v;
            }
            st = self
                .slot
                .ready
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl<T> Future for Reply<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let mut st = self.slot.lock();
        match st.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                st.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
