//! Prioritised replay buffer of FAB (Midgley et al. 2023, Algorithm 2).
//!
//! Entries (x, log w, log q_old) come from AIS runs targeting π = p̃^α q^(1−α), with q_old the
//! flow that generated them. Minibatches are drawn with replacement with probability ∝ w. For the
//! current flow q_θ the entry's weight w.r.t. π_θ is w·(q_θ/q_old)^(1−α), so the loss of a
//! minibatch is −mean(c·log q_θ(x)) with c = (q_θ/q_old)^(1−α) (no gradient through c, clipped at
//! [`BufferConfig::w_adjust_clip`]); after the step the entry's log w is increased by log c and
//! log q_old set to log q_θ, so that later draws use the adjusted priorities. The buffer is a
//! ring: once full, the oldest entries are overwritten.

use serde::{Deserialize, Serialize};

use super::FabError;
use crate::stochastic::rng::counter_uniform;

/// Settings of the buffer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BufferConfig {
    /// Capacity in points.
    pub max_len: usize,
    /// No gradient steps until the buffer holds this many points.
    pub min_len: usize,
    /// Gradient steps per AIS batch.
    pub updates_per_iter: usize,
    /// Upper clip of the correction factor c.
    pub w_adjust_clip: f64,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            max_len: 12_800,
            min_len: 2_560,
            updates_per_iter: 4,
            w_adjust_clip: 10.0,
        }
    }
}

impl BufferConfig {
    /// Check every setting.
    pub fn validate(&self) -> Result<(), FabError> {
        if self.max_len == 0 || self.min_len > self.max_len || self.updates_per_iter == 0 {
            return Err(FabError::Config(format!(
                "buffer max_len = {}, min_len = {}, updates_per_iter = {} (need 0 < min_len ≤ max_len, updates ≥ 1)",
                self.max_len, self.min_len, self.updates_per_iter
            )));
        }
        if !(self.w_adjust_clip.is_finite() && self.w_adjust_clip > 0.0) {
            return Err(FabError::Config(format!(
                "buffer w_adjust_clip = {} (need > 0)",
                self.w_adjust_clip
            )));
        }
        Ok(())
    }
}

/// The buffer's contents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrioritisedBuffer {
    dim: usize,
    max_len: usize,
    x: Vec<f64>,
    log_w: Vec<f64>,
    log_q_old: Vec<f64>,
    /// Next slot to overwrite once full.
    next: usize,
}

impl PrioritisedBuffer {
    /// An empty buffer for points of dimension `dim`.
    pub fn new(dim: usize, max_len: usize) -> Self {
        PrioritisedBuffer {
            dim,
            max_len,
            x: Vec::new(),
            log_w: Vec::new(),
            log_q_old: Vec::new(),
            next: 0,
        }
    }

    /// Number of points held.
    pub fn len(&self) -> usize {
        self.log_w.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.log_w.is_empty()
    }

    /// Add points; entries with a non-finite log w or log q are skipped (they would never be
    /// drawn). Returns how many were added.
    pub fn add(&mut self, x: &[f64], log_w: &[f64], log_q: &[f64]) -> usize {
        let d = self.dim;
        let mut added = 0;
        for (i, (&lw, &lq)) in log_w.iter().zip(log_q).enumerate() {
            if !(lw.is_finite() && lq.is_finite()) {
                continue;
            }
            let xi = &x[i * d..(i + 1) * d];
            if self.len() < self.max_len {
                self.x.extend_from_slice(xi);
                self.log_w.push(lw);
                self.log_q_old.push(lq);
            } else {
                let s = self.next;
                self.x[s * d..(s + 1) * d].copy_from_slice(xi);
                self.log_w[s] = lw;
                self.log_q_old[s] = lq;
                self.next = (s + 1) % self.max_len;
            }
            added += 1;
        }
        added
    }

    /// Draw `n` indices with replacement, P(i) ∝ wᵢ, deterministic in `seed`.
    pub fn sample_indices(&self, n: usize, seed: u64) -> Result<Vec<usize>, FabError> {
        if self.is_empty() {
            return Err(FabError::NoWeight("the replay buffer is empty".into()));
        }
        let m = self.log_w.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let mut cum = Vec::with_capacity(self.len());
        let mut s = 0.0;
        for &lw in &self.log_w {
            s += (lw - m).exp();
            cum.push(s);
        }
        Ok((0..n as u64)
            .map(|i| {
                let t = counter_uniform(seed, 0x6275, i, 0) * s;
                cum.partition_point(|&c| c < t).min(self.len() - 1)
            })
            .collect())
    }

    /// The points at `idx` (flat) and their stored log q_old.
    pub fn gather(&self, idx: &[usize]) -> (Vec<f64>, Vec<f64>) {
        let d = self.dim;
        let mut x = Vec::with_capacity(idx.len() * d);
        for &i in idx {
            x.extend_from_slice(&self.x[i * d..(i + 1) * d]);
        }
        (x, idx.iter().map(|&i| self.log_q_old[i]).collect())
    }

    /// After a gradient step: entry `idx[k]` gets log w += `log_w_adjust[k]` and
    /// log q_old = `log_q[k]` (repeated indices carry identical values, so writing them once or
    /// twice is the same).
    pub fn adjust(&mut self, idx: &[usize], log_w_adjust: &[f64], log_q: &[f64]) {
        let mut done = vec![false; self.len()];
        for (k, &i) in idx.iter().enumerate() {
            if done[i] || !log_q[k].is_finite() || !log_w_adjust[k].is_finite() {
                continue;
            }
            done[i] = true;
            self.log_w[i] += log_w_adjust[k];
            self.log_q_old[i] = log_q[k];
        }
    }
}
