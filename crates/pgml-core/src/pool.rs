//! A small pool of training threads that live as long as one fit.
//!
//! Growing a histogram tree parallelises hundreds of short steps per tree (each node's
//! histogram, each split's partition). Spawning scoped threads for every step cost more than
//! the step on a busy machine, and a thread the scheduler had not yet run held the whole step
//! up. Here `threads − 1` workers are started once and block on a channel between steps (they
//! sleep; nothing spins), and [`Pool::map`] lets the calling thread claim tasks from the same
//! counter as the workers: if no worker gets a core, the caller simply does every task itself.
//!
//! Tasks are `'static` closures (the core forbids `unsafe`, so they cannot borrow the caller's
//! stack): data they share is held in `Arc`s. `map` drops every copy of the closure before it
//! returns, so those `Arc`s are unique again and `Arc::make_mut` writes in place.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Work a pool thread can join: it runs tasks until none is left.
trait Job: Send + Sync {
    fn help(&self);
}

type Outcome<R> = Result<R, Box<dyn Any + Send>>;

struct State<F, R> {
    /// The tasks' closure; `None` once the caller has collected the results, so a worker that
    /// wakes late finds nothing to do and holds no copy.
    f: Option<Arc<F>>,
    /// Threads holding a copy of `f` right now.
    holders: usize,
    done: usize,
    results: Vec<Option<Outcome<R>>>,
}

struct Batch<F, R> {
    next: AtomicUsize,
    tasks: usize,
    state: Mutex<State<F, R>>,
    changed: Condvar,
}

impl<F, R> Batch<F, R>
where
    F: Fn(usize) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    fn lock(&self) -> std::sync::MutexGuard<'_, State<F, R>> {
        // A task's panic is caught before it can poison the lock; recover the state anyway.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run_tasks(&self, f: &F) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.tasks {
                return;
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| f(i)));
            let mut s = self.lock();
            s.results[i] = Some(outcome);
            s.done += 1;
            if s.done == self.tasks {
                self.changed.notify_all();
            }
        }
    }
}

impl<F, R> Job for Batch<F, R>
where
    F: Fn(usize) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    fn help(&self) {
        let f = {
            let mut s = self.lock();
            let Some(f) = s.f.clone() else {
                return;
            };
            s.holders += 1;
            f
        };
        self.run_tasks(&f);
        drop(f);
        let mut s = self.lock();
        s.holders -= 1;
        self.changed.notify_all();
    }
}

/// `threads − 1` sleeping workers plus the calling thread.
pub struct Pool {
    workers: Vec<Sender<Arc<dyn Job>>>,
    handles: Vec<JoinHandle<()>>,
}

impl Pool {
    /// A pool that runs tasks on `threads` threads in all (the caller counts as one; 0 is 1).
    pub fn new(threads: usize) -> Pool {
        let mut workers = Vec::new();
        let mut handles = Vec::new();
        for _ in 1..threads.max(1) {
            let (send, receive) = channel::<Arc<dyn Job>>();
            // The receiver's loop ends when the pool drops its sender.
            match std::thread::Builder::new()
                .name("pgml-train".into())
                .spawn(move || {
                    while let Ok(job) = receive.recv() {
                        job.help();
                    }
                }) {
                Ok(handle) => {
                    workers.push(send);
                    handles.push(handle);
                }
                // No more threads to be had: the ones started (and the caller) do the work.
                Err(_) => break,
            }
        }
        Pool { workers, handles }
    }

    /// Threads that run tasks, the caller included.
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// `f(0..tasks)` on the pool's threads; the results in task order. A task's panic is raised
    /// again here, after every task has finished.
    pub fn map<F, R>(&self, tasks: usize, f: F) -> Vec<R>
    where
        F: Fn(usize) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        if tasks <= 1 || self.workers.is_empty() {
            return (0..tasks).map(f).collect();
        }
        let f = Arc::new(f);
        let batch = Arc::new(Batch {
            next: AtomicUsize::new(0),
            tasks,
            state: Mutex::new(State {
                f: Some(Arc::clone(&f)),
                holders: 0,
                done: 0,
                results: (0..tasks).map(|_| None).collect(),
            }),
            changed: Condvar::new(),
        });
        for worker in self.workers.iter().take(tasks - 1) {
            let job: Arc<dyn Job> = batch.clone();
            // A worker gone (it cannot be: workers never exit while the pool lives) only means
            // fewer helpers; the caller still runs every unclaimed task.
            let _ = worker.send(job);
        }
        batch.run_tasks(&f);
        let results = {
            let mut s = batch.lock();
            while s.done < tasks || s.holders > 0 {
                s = batch
                    .changed
                    .wait(s)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            s.f = None;
            std::mem::take(&mut s.results)
        };
        drop(f);
        let mut out = Vec::with_capacity(tasks);
        for r in results {
            match r {
                Some(Ok(v)) => out.push(v),
                Some(Err(panic)) => resume_unwind(panic),
                None => unreachable!("every task ran before the results were taken"),
            }
        }
        out
    }
}

/// `f` on every item, on up to `threads` scoped threads (the caller is one of them), for work
/// that borrows the caller's data. Items are claimed one at a time, so a thread the scheduler
/// has not run yet holds up only its own start, not a share of the items.
pub fn scoped_each<T: Send>(threads: usize, items: Vec<T>, f: impl Fn(T) + Sync) {
    let helpers = threads.max(1).min(items.len()).saturating_sub(1);
    let queue = Mutex::new(items.into_iter());
    let work = || loop {
        let item = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
        match item {
            Some(item) => f(item),
            None => return,
        }
    };
    if helpers == 0 {
        return work();
    }
    std::thread::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(work);
        }
        work();
    });
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.workers.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pool({} threads)", self.threads())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_task_order_whatever_the_threads() {
        for threads in [1, 2, 3] {
            let pool = Pool::new(threads);
            assert_eq!(pool.threads(), threads);
            for _ in 0..50 {
                let v = pool.map(37, |i| i * i);
                assert_eq!(v, (0..37).map(|i| i * i).collect::<Vec<_>>());
            }
            assert!(pool.map(0, |i| i).is_empty());
        }
    }

    #[test]
    fn shared_data_is_unique_again_after_a_map() {
        let pool = Pool::new(3);
        let mut data = Arc::new(vec![1u64; 1000]);
        for round in 0..20 {
            let d = Arc::clone(&data);
            let sums = pool.map(8, move |i| d[i * 100..(i + 1) * 100].iter().sum::<u64>());
            assert_eq!(sums, vec![100 * (round + 1); 8]);
            // No copy of the closure (and so of `d`) outlives the map.
            assert_eq!(Arc::strong_count(&data), 1);
            Arc::make_mut(&mut data).iter_mut().for_each(|v| *v += 1);
        }
    }

    #[test]
    fn scoped_each_runs_every_item_once() {
        for threads in [1, 2, 4] {
            let mut out = vec![0u32; 1000];
            let items: Vec<(usize, &mut [u32])> = out.chunks_mut(64).enumerate().collect();
            scoped_each(threads, items, |(k, run)| {
                for (i, v) in run.iter_mut().enumerate() {
                    *v += (k * 64 + i) as u32;
                }
            });
            assert!(out.iter().enumerate().all(|(i, &v)| v == i as u32));
        }
    }

    #[test]
    fn a_task_panic_reaches_the_caller_and_the_pool_still_works() {
        let pool = Pool::new(2);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            pool.map(10, |i| {
                assert!(i != 7, "task seven fails");
                i
            })
        }));
        assert!(caught.is_err());
        assert_eq!(pool.map(4, |i| i + 1), [1, 2, 3, 4]);
    }
}
