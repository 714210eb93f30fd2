//! The router in force, shared by every request of an instance and replaced as a whole when
//! a newer jurisdiction is stored (issue 16).

use std::sync::{Arc, RwLock};

use crate::router::Router;

/// One [`Router`] at a time, swapped atomically. A request takes [`RouterCell::current`]
/// once and routes with that `Arc` to the end, so a swap mid-request never mixes two
/// jurisdictions in one decision; the old router lives until its last request is done.
///
/// `generation` names what the router was built from: the generation of the stored
/// jurisdiction snapshot (`jurisdiction_loads.generation`), or 0 when nothing was stored.
#[derive(Debug)]
pub struct RouterCell {
    inner: RwLock<Current>,
}

#[derive(Debug)]
struct Current {
    router: Arc<Router>,
    generation: i64,
}

impl RouterCell {
    pub fn new(router: impl Into<Arc<Router>>, generation: i64) -> Self {
        Self {
            inner: RwLock::new(Current {
                router: router.into(),
                generation,
            }),
        }
    }

    /// The router in force now (an `Arc` clone under a read lock held for that clone only).
    pub fn current(&self) -> Arc<Router> {
        let current = self.inner.read().unwrap_or_else(|e| e.into_inner());
        current.router.clone()
    }

    /// The generation the current router was built from.
    pub fn generation(&self) -> i64 {
        let current = self.inner.read().unwrap_or_else(|e| e.into_inner());
        current.generation
    }

    /// Puts `router` (built from `generation`) in force for every later [`current`].
    ///
    /// [`current`]: RouterCell::current
    pub fn replace(&self, router: impl Into<Arc<Router>>, generation: i64) {
        let router = router.into();
        let mut current = self.inner.write().unwrap_or_else(|e| e.into_inner());
        *current = Current { router, generation };
    }
}
