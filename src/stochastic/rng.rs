//! Counter-based, splittable random streams.
//!
//! Every uniform number is a pure function of `(seed, stream id, draw index, sub-index)`: a
//! SplitMix64-style finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014) applied to a key built from the four integers. Nothing is carried
//! from one draw to the next except the counter, so
//!
//! - the alternative path of a stochastic-AD perturbation re-runs with exactly the same random
//!   numbers as the primal path (the *coupling*),
//! - finite differences can use common random numbers at `θ ± h`,
//! - and sample `i` of an estimator uses stream `i` whichever thread runs it, so results are
//!   identical for a seed at any thread count.

/// Golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 output function (a bijective avalanche mix of 64 bits).
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 64 random bits for `(seed, stream, index, sub)`.
#[inline]
pub fn counter_bits(seed: u64, stream: u64, index: u64, sub: u64) -> u64 {
    let k1 = mix64(seed.wrapping_add(GAMMA));
    let k2 = mix64(
        k1 ^ stream
            .wrapping_mul(GAMMA)
            .wrapping_add(0x632B_E59B_D9B4_E019),
    );
    let k3 = mix64(
        k2 ^ index
            .wrapping_mul(0xD1B5_4A32_D192_ED03)
            .wrapping_add(GAMMA),
    );
    mix64(
        k3 ^ sub
            .wrapping_mul(0xAEF1_7502_108E_F2D9)
            .wrapping_add(0x2545_F491_4F6C_DD1D),
    )
}

/// A 64-bit key for child `slot` of `parent` (for stream ids and per-object sub-streams).
///
/// Programs use it to name sub-streams after the objects they simulate, e.g. a shower particle's
/// daughters get `child_key(id, slot)`, so keys are stable whatever order objects are processed in.
#[inline]
pub fn child_key(parent: u64, slot: u64) -> u64 {
    mix64(
        mix64(parent.wrapping_add(GAMMA))
            ^ slot.wrapping_mul(0xD1B5_4A32_D192_ED03).wrapping_add(1),
    )
}

/// A uniform number in the open interval (0, 1) for `(seed, stream, index, sub)`.
///
/// The 53 high bits are centred in their cell, so neither 0 nor 1 is ever returned (`ln u` and
/// inverse CDFs stay finite).
#[inline]
pub fn counter_uniform(seed: u64, stream: u64, index: u64, sub: u64) -> f64 {
    let bits = counter_bits(seed, stream, index, sub) >> 11;
    (bits as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// A seeded random stream: a `(seed, stream id)` pair and a draw counter.
///
/// Each call of [`Stream::next_index`] hands out the next draw index; a draw that needs several
/// uniforms (a relaxed Binomial, Box–Muller) takes them as sub-indices of its one draw index, so
/// every draw advances the counter by exactly one whatever its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    seed: u64,
    id: u64,
    counter: u64,
}

impl Stream {
    /// Stream `id` of `seed`, at draw index 0.
    pub fn new(seed: u64, id: u64) -> Self {
        Stream {
            seed,
            id,
            counter: 0,
        }
    }

    /// An independent child stream: same seed, stream id derived from this one's id and `child`.
    pub fn split(&self, child: u64) -> Stream {
        Stream::new(self.seed, child_key(self.id, child))
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Number of draws handed out so far.
    pub fn position(&self) -> u64 {
        self.counter
    }

    /// Hand out the next draw index.
    #[inline]
    pub fn next_index(&mut self) -> u64 {
        let i = self.counter;
        self.counter += 1;
        i
    }

    /// Uniform number `sub` of draw `index` of this stream.
    #[inline]
    pub fn uniform_at(&self, index: u64, sub: u64) -> f64 {
        counter_uniform(self.seed, self.id, index, sub)
    }

    /// Next draw's first uniform number (advances the counter by one).
    #[inline]
    pub fn next_uniform(&mut self) -> f64 {
        let i = self.next_index();
        self.uniform_at(i, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_number_and_streams_differ() {
        let mut a = Stream::new(7, 3);
        let mut b = Stream::new(7, 3);
        let xa: Vec<f64> = (0..100).map(|_| a.next_uniform()).collect();
        let xb: Vec<f64> = (0..100).map(|_| b.next_uniform()).collect();
        assert_eq!(xa, xb);
        let mut c = Stream::new(7, 4);
        let xc: Vec<f64> = (0..100).map(|_| c.next_uniform()).collect();
        assert!(xa.iter().zip(&xc).all(|(x, y)| x != y));
        assert!(xa.iter().all(|&u| u > 0.0 && u < 1.0));
    }

    #[test]
    fn uniform_moments_within_standard_errors() {
        // Mean 1/2 (variance 1/12) and lag-1 correlation 0 (variance 1/n) for an ideal generator.
        let n = 200_000;
        let mut s = Stream::new(42, 0);
        let u: Vec<f64> = (0..n).map(|_| s.next_uniform()).collect();
        let mean = u.iter().sum::<f64>() / n as f64;
        let se_mean = (1.0 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < 4.0 * se_mean, "mean {mean}");
        let corr = u
            .windows(2)
            .map(|w| (w[0] - 0.5) * (w[1] - 0.5))
            .sum::<f64>()
            / (n - 1) as f64
            * 12.0;
        assert!(
            corr.abs() < 4.0 / (n as f64).sqrt(),
            "lag-1 correlation {corr}"
        );
    }
}
