//! Uncertainty-weighted non-negative matrix factorisation in the PMF style.
//!
//! `X (samples × species) ≈ G·F`, `G, F ≥ 0`, minimising `Q = Σ ((x_ij − (GF)_ij) / u_ij)²`
//! (EPA PMF 5.0's objective) by weighted multiplicative updates (Lee & Seung with weights
//! `W = 1/u²`, which never leave the non-negative orthant and never increase Q):
//!
//! `G ← G ∘ ((W∘X) Fᵀ) / ((W∘GF) Fᵀ)`, `F ← F ∘ (Gᵀ (W∘X)) / (Gᵀ (W∘GF))`.
//!
//! Uncertainties follow EPA PMF: `c ≤ MDL → u = 5/6·MDL`, else
//! `u = sqrt((EF·c)² + (0.5·MDL)²)` ([`uncertainty`]). The start is a fixed-seed pseudo-random
//! matrix, so runs are reproducible. Rows of F are normalised to sum to 1 (profiles as mass
//! fractions) with G scaled to match (contributions in concentration units). Robust mode and
//! bootstrap error estimates are not implemented.

use super::SourceError;
use ndarray::Array2;

/// The factorisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Nmf {
    /// Contributions, samples × factors.
    pub g: Array2<f64>,
    /// Profiles, factors × species (rows sum to 1).
    pub f: Array2<f64>,
    /// The weighted objective Q at the end.
    pub q: f64,
    /// Iterations run.
    pub iterations: usize,
}

/// The EPA PMF uncertainty of a concentration `c` with detection limit `mdl` and error
/// fraction `ef`.
pub fn uncertainty(c: f64, mdl: f64, ef: f64) -> f64 {
    if c <= mdl {
        5.0 / 6.0 * mdl
    } else {
        ((ef * c).powi(2) + (0.5 * mdl).powi(2)).sqrt()
    }
}

/// Factorises `x` with uncertainties `u` (same shape, > 0) into `k` factors.
pub fn nmf(
    x: &Array2<f64>,
    u: &Array2<f64>,
    k: usize,
    max_iter: usize,
    seed: u64,
) -> Result<Nmf, SourceError> {
    let (n, m) = x.dim();
    if u.dim() != (n, m) || k == 0 || k > m || n < k {
        return Err(SourceError::Invalid(format!(
            "NMF of {n}×{m} with {k} factors and uncertainties {:?}",
            u.dim()
        )));
    }
    if x.iter().any(|v| !v.is_finite() || *v < 0.0)
        || u.iter().any(|v| !(v.is_finite() && *v > 0.0))
    {
        return Err(SourceError::Invalid(
            "NMF needs finite X ≥ 0 and uncertainties > 0".into(),
        ));
    }
    let w = u.mapv(|v| 1.0 / (v * v));
    let wx = &w * x;
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut rnd = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        0.1 + ((state >> 11) as f64 / (1u64 << 53) as f64)
    };
    let scale = (x.mean().unwrap_or(1.0) / k as f64).sqrt().max(1e-6);
    let mut g = Array2::from_shape_fn((n, k), |_| rnd() * scale);
    let mut f = Array2::from_shape_fn((k, m), |_| rnd() * scale);
    let eps = 1e-12;
    let q_of = |g: &Array2<f64>, f: &Array2<f64>| -> f64 {
        let r = x - &g.dot(f);
        (&r * &r * &w).sum()
    };
    let mut q = q_of(&g, &f);
    let mut it = 0;
    while it < max_iter {
        it += 1;
        let wgf = &w * &g.dot(&f);
        let num = wx.dot(&f.t());
        let den = wgf.dot(&f.t());
        g.zip_mut_with(&(num / (den + eps)), |a, b| *a *= b);
        let wgf = &w * &g.dot(&f);
        let num = g.t().dot(&wx);
        let den = g.t().dot(&wgf);
        f.zip_mut_with(&(num / (den + eps)), |a, b| *a *= b);
        if it % 20 == 0 {
            let q2 = q_of(&g, &f);
            let done = (q - q2).abs() <= 1e-7 * q.max(1e-12);
            q = q2;
            if done {
                break;
            }
        }
    }
    for j in 0..k {
        let s: f64 = f.row(j).sum();
        if s > 0.0 {
            f.row_mut(j).mapv_inplace(|v| v / s);
            g.column_mut(j).mapv_inplace(|v| v * s);
        }
    }
    let q = q_of(&g, &f);
    Ok(Nmf {
        g,
        f,
        q,
        iterations: it,
    })
}
