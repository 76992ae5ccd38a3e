//! `diffhep.Process`: the amplitude engine of `diffhep_physics::collider::amplitude` for one
//! subprocess of a MadGraph-style process string.
//!
//! |M|² is averaged over initial and summed over final helicities and colours, without the
//! identical-particle factor (reported separately as `identical_factor`), exactly as
//! `diffhep me`. Gradients are reverse mode, one tape per event (reused by each worker thread),
//! with respect to every momentum component and any of the 15 param-card parameters.
//! `sample` draws phase-space points with the flat RAMBO map and returns the cross-section
//! integrand in pb per unit hypercube volume, whose mean estimates σ; `xsec` is the VEGAS cross
//! section of `diffhep xsec` with its parameter derivatives.

use std::borrow::Cow;

use diffhep::forward::gradient_fixed;
use diffhep::stochastic::rng::counter_uniform;
use diffhep::tape::{Tape, Var};
use diffhep::{RealScalar, Scalar, ScalarFn};
use diffhep_physics::collider::amplitude::collision::StringProcess;
use diffhep_physics::collider::amplitude::matrix_element::MatrixElement;
use diffhep_physics::collider::amplitude::model::{Gauge, WidthScheme};
use diffhep_physics::collider::cuts::Cuts;
use diffhep_physics::collider::process::Process as PhysicsProcess;
use diffhep_physics::collider::sm::{ParamCard, SmParams, PARAM_NAMES};
use diffhep_physics::integrate::xsec::{cross_section, XsecConfig};
use diffhep_physics::lorentz::FourVector;
use numpy::ndarray::{Array1, Array2, Array3};
use numpy::PyUntypedArrayMethods;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray3};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid, value_error};
use crate::events::{data, map, map_init, shape_mismatch};

/// Most parameters differentiated in forward mode (without momenta); more go on the tape.
const FORWARD_MAX: usize = 4;

/// Stream of the phase-space points drawn by `sample` ([`counter_uniform`]).
const SAMPLE_STREAM: u64 = 0x5a3_91e;

/// One subprocess of a process string, with its param card.
#[pyclass(frozen, module = "diffhep._native", name = "Process")]
pub struct Process {
    me: MatrixElement,
    sub: usize,
    card: ParamCard,
    scheme: WidthScheme,
}

/// |M|² and its gradient per event, or the first failing event and why.
type Gradients = Result<Vec<(f64, Vec<f64>)>, (usize, String)>;

/// Momenta (events, particles, 4) and weights (events,).
type Sample<'py> = (Bound<'py, PyArray3<f64>>, Bound<'py, PyArray1<f64>>);

/// What to differentiate with respect to.
struct Wrt<'a> {
    momenta: bool,
    params: &'a [String],
}

impl Process {
    fn n_particles(&self) -> usize {
        self.me.subprocesses[self.sub].names.len()
    }

    /// The card with `names[k]` set to `values[k]`, validated.
    fn card_with(&self, names: &[String], values: &[f64]) -> PyResult<ParamCard> {
        if names.len() != values.len() {
            return Err(invalid(format!(
                "{} parameter names but {} values",
                names.len(),
                values.len()
            )));
        }
        let mut card = self.card.clone();
        for (n, v) in names.iter().zip(values) {
            card.set(n, *v)
                .map_err(|e| value_error(&format!("parameter {n} = {v}"), &e))?;
        }
        Ok(card)
    }

    /// The momentum array's events and data, shape-checked against this subprocess.
    fn momenta<'a>(&self, m: &'a PyReadonlyArray3<'_, f64>) -> PyResult<(usize, Cow<'a, [f64]>)> {
        let shape = m.shape();
        if let Some(m) =
            shape_mismatch("momenta", shape, &[None, Some(self.n_particles()), Some(4)])
        {
            return Err(invalid(format!(
                "{m} (events, particles, [E, px, py, pz]) for {}",
                self.me.subprocesses[self.sub].label()
            )));
        }
        Ok((shape[0], data(m)))
    }

    fn event(flat: &[f64], particles: usize, i: usize) -> Vec<FourVector<f64>> {
        flat[i * 4 * particles..(i + 1) * 4 * particles]
            .chunks_exact(4)
            .map(|c| FourVector::new(c[0], c[1], c[2], c[3]))
            .collect()
    }

    /// Check the momenta of event `i`: always finiteness, with `physical` also energies, mass
    /// shells, conservation and threshold ([`MatrixElement::check_momenta`]).
    fn check_event(
        &self,
        params: &SmParams<f64>,
        mom: &[FourVector<f64>],
        physical: bool,
    ) -> Result<(), String> {
        if physical {
            return self
                .me
                .check_momenta(self.sub, params, mom)
                .map_err(|e| e.to_string());
        }
        match mom
            .iter()
            .flat_map(|p| [p.e, p.px, p.py, p.pz])
            .position(|x| !x.is_finite())
        {
            None => Ok(()),
            Some(k) => Err(format!("momentum component {k} is not finite")),
        }
    }

    /// |M|² of every event (the computation behind `msq`, also timed by `_rust_msq_seconds`).
    fn batch_msq(
        &self,
        card: &ParamCard,
        flat: &[f64],
        n: usize,
        physical: bool,
    ) -> Result<Vec<f64>, (usize, String)> {
        let params = card.to_params::<f64>();
        let p = self.n_particles();
        map(n, |i| {
            let mom = Self::event(flat, p, i);
            self.check_event(&params, &mom, physical)?;
            let v = self.me.msq(self.sub, &params, &mom);
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("|M|² is {v}"))
            }
        })
    }

    /// |M|² and its gradient w.r.t. at most [`FORWARD_MAX`] parameters (no momenta) of every
    /// event, by forward mode: one evaluation in stack dual numbers with one tangent per
    /// parameter (a few times the cost of |M|², against ~10× for a tape).
    fn batch_forward<const N: usize>(
        &self,
        card: &ParamCard,
        flat: &[f64],
        n: usize,
        names: &[String],
        physical: bool,
    ) -> Gradients {
        let params = card.to_params::<f64>();
        let p = self.n_particles();
        let x: [f64; N] = std::array::from_fn(|j| card.get(&names[j]).expect("checked name"));
        map(n, |i| {
            let mom = Self::event(flat, p, i);
            self.check_event(&params, &mom, physical)?;
            let f = AtParameters {
                process: self,
                card,
                names,
                momenta: &mom,
            };
            let (v, g) = gradient_fixed(&f, &x);
            if !v.is_finite() || g.iter().any(|d| !d.is_finite()) {
                return Err(format!("|M|² = {v} or its gradient is not finite"));
            }
            Ok((v, g.to_vec()))
        })
    }

    /// |M|² and its gradient (parameters first, then momenta) of every event: forward mode for
    /// a few parameters, otherwise reverse mode with one tape per worker thread.
    fn batch_gradient(
        &self,
        card: &ParamCard,
        flat: &[f64],
        n: usize,
        wrt: &Wrt<'_>,
        physical: bool,
    ) -> Gradients {
        if !wrt.momenta && wrt.params.len() <= FORWARD_MAX {
            let names = wrt.params;
            match names.len() {
                1 => return self.batch_forward::<1>(card, flat, n, names, physical),
                2 => return self.batch_forward::<2>(card, flat, n, names, physical),
                3 => return self.batch_forward::<3>(card, flat, n, names, physical),
                4 => return self.batch_forward::<4>(card, flat, n, names, physical),
                _ => {}
            }
        }
        let params = card.to_params::<f64>();
        let p = self.n_particles();
        let k = wrt.params.len();
        map_init(n, Tape::<f64>::new, |tape, i| {
            let mom = Self::event(flat, p, i);
            self.check_event(&params, &mom, physical)?;
            let mut x: Vec<f64> = wrt
                .params
                .iter()
                .map(|name| card.get(name).expect("checked name"))
                .collect();
            if wrt.momenta {
                x.extend_from_slice(&flat[i * 4 * p..(i + 1) * 4 * p]);
            }
            let (v, g) = tape.gradient(&x, |vars| {
                let mut sp: SmParams<Var> = card.to_params();
                for (name, var) in wrt.params.iter().zip(&vars[..k]) {
                    sp.set(name, *var).expect("checked name");
                }
                let momenta: Vec<FourVector<Var>> = if wrt.momenta {
                    vars[k..]
                        .chunks_exact(4)
                        .map(|c| FourVector::new(c[0], c[1], c[2], c[3]))
                        .collect()
                } else {
                    mom.iter()
                        .map(|q| {
                            FourVector::new(
                                Var::from_f64(q.e),
                                Var::from_f64(q.px),
                                Var::from_f64(q.py),
                                Var::from_f64(q.pz),
                            )
                        })
                        .collect()
                };
                self.me.msq(self.sub, &sp, &momenta)
            });
            if !v.is_finite() || g.iter().any(|d| !d.is_finite()) {
                return Err(format!("|M|² = {v} or its gradient is not finite"));
            }
            Ok((v, g))
        })
    }

    /// The process string with `cuts` and this width scheme, as the physics crate's `Process`.
    fn collider(&self, cuts: &[(String, f64)]) -> PyResult<(PhysicsProcess, usize)> {
        let mut c = Cuts::default();
        for (name, v) in cuts {
            c.set(name, *v)
                .map_err(|e| value_error(&format!("cut {name} = {v}"), &e))?;
        }
        let p = PhysicsProcess::from_string(&self.me.text, c)
            .map_err(|e| value_error("process", &e))?
            .with_width_scheme(self.scheme);
        let n = self.me.subprocesses[0].names.len();
        Ok((p, n))
    }
}

/// |M|² at fixed momenta as a function of the card parameters `names` (for forward mode).
struct AtParameters<'a> {
    process: &'a Process,
    card: &'a ParamCard,
    names: &'a [String],
    momenta: &'a [FourVector<f64>],
}

impl ScalarFn for AtParameters<'_> {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let mut sp: SmParams<S> = self.card.to_params();
        for (name, v) in self.names.iter().zip(x) {
            sp.set(name, v.clone()).expect("checked name");
        }
        let c = |v: f64| S::from_f64(v);
        let mom: Vec<FourVector<S>> = self
            .momenta
            .iter()
            .map(|q| FourVector::new(c(q.e), c(q.px), c(q.py), c(q.pz)))
            .collect();
        self.process.me.msq(self.process.sub, &sp, &mom)
    }
}

fn event_error(what: &str) -> impl Fn((usize, String)) -> PyErr + '_ {
    move |(i, e)| invalid(format!("{what}, event {i}: {e}"))
}

#[pymethods]
impl Process {
    /// Build `process` (MadGraph syntax) in the `sm` model; `card_path` (SLHA, TOML or JSON
    /// file) or `card_json` (a JSON object of parameters) replace the MadGraph defaults.
    #[new]
    #[pyo3(signature = (process, card_path=None, card_json=None, subprocess=0, complex_mass=false, gauge="unitary"))]
    fn new(
        py: Python<'_>,
        process: &str,
        card_path: Option<std::path::PathBuf>,
        card_json: Option<&str>,
        subprocess: usize,
        complex_mass: bool,
        gauge: &str,
    ) -> PyResult<Self> {
        let gauge: Gauge = gauge.parse().map_err(invalid)?;
        let card = match (card_path, card_json) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "give a param card as a path or as values, not both",
                ))
            }
            (Some(path), None) => {
                ParamCard::from_path(&path).map_err(|e| value_error("param_card", &e))?
            }
            (None, Some(json)) => {
                ParamCard::from_json_str(json).map_err(|e| value_error("param_card", &e))?
            }
            (None, None) => ParamCard::default(),
        };
        let scheme = if complex_mass {
            WidthScheme::ComplexMass
        } else {
            WidthScheme::Fixed
        };
        let text = process.to_string();
        let me = py
            .detach(|| MatrixElement::new_in(&text, gauge))
            .map_err(|e| value_error(&format!("process '{process}'"), &e))?
            .with_scheme(scheme);
        if subprocess >= me.subprocesses.len() {
            return Err(invalid(format!(
                "subprocess {subprocess}: '{process}' has {} subprocesses (0 to {})",
                me.subprocesses.len(),
                me.subprocesses.len() - 1
            )));
        }
        Ok(Process {
            me,
            sub: subprocess,
            card,
            scheme,
        })
    }

    /// The process string.
    #[getter]
    fn process(&self) -> String {
        self.me.text.clone()
    }

    /// The chosen subprocess, e.g. `"g g > t t~ g"`.
    #[getter]
    fn subprocess(&self) -> String {
        self.me.subprocesses[self.sub].label()
    }

    /// Every subprocess of the string.
    #[getter]
    fn subprocesses(&self) -> Vec<String> {
        self.me.subprocesses.iter().map(|s| s.label()).collect()
    }

    /// Particle names of the chosen subprocess, in momentum order.
    #[getter]
    fn particles(&self) -> Vec<String> {
        self.me.subprocesses[self.sub].names.clone()
    }

    /// Number of incoming particles.
    #[getter]
    fn n_initial(&self) -> usize {
        self.me.subprocesses[self.sub].n_initial
    }

    /// The identical-particle factor (not included in `msq`).
    #[getter]
    fn identical_factor(&self) -> f64 {
        self.me.subprocesses[self.sub].identical
    }

    /// The param card: (name, value) for the 15 parameters, in MadGraph's names.
    #[getter]
    fn parameters(&self) -> Vec<(String, f64)> {
        PARAM_NAMES
            .iter()
            .map(|n| (n.to_string(), self.card.get(n).expect("listed parameter")))
            .collect()
    }

    /// The gauge of the massive vector bosons: `unitary` or `feynman`.
    #[getter]
    fn gauge(&self) -> &'static str {
        match self.me.model.gauge {
            Gauge::Unitary => "unitary",
            Gauge::Feynman => "feynman",
        }
    }

    /// Whether widths are in the complex-mass scheme.
    #[getter]
    fn complex_mass(&self) -> bool {
        self.scheme == WidthScheme::ComplexMass
    }

    /// |M|² of every event of `momenta` (events, particles, 4), with the card parameters
    /// `names` set to `values`.
    #[pyo3(signature = (momenta, names, values, check=true))]
    fn msq<'py>(
        &self,
        py: Python<'py>,
        momenta: PyReadonlyArray3<'py, f64>,
        names: Vec<String>,
        values: Vec<f64>,
        check: bool,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let card = self.card_with(&names, &values)?;
        let (n, flat) = self.momenta(&momenta)?;
        let out = py
            .detach(|| self.batch_msq(&card, &flat, n, check))
            .map_err(event_error("momenta"))?;
        Ok(out.into_pyarray(py))
    }

    /// |M|², ∂|M|²/∂momenta (events, particles, 4) if `wrt_momenta` (else `None`) and
    /// ∂|M|²/∂(parameters `wrt`) (events, len(wrt)), with the parameters `names` set to
    /// `values`.
    #[pyo3(signature = (momenta, wrt_momenta, wrt, names, values, check=true))]
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn msq_and_grad<'py>(
        &self,
        py: Python<'py>,
        momenta: PyReadonlyArray3<'py, f64>,
        wrt_momenta: bool,
        wrt: Vec<String>,
        names: Vec<String>,
        values: Vec<f64>,
        check: bool,
    ) -> PyResult<(
        Bound<'py, PyArray1<f64>>,
        Option<Bound<'py, PyArray3<f64>>>,
        Bound<'py, PyArray2<f64>>,
    )> {
        for w in &wrt {
            if !PARAM_NAMES.contains(&w.as_str()) {
                return Err(invalid(format!(
                    "wrt: unknown parameter '{w}' (known: momenta, {})",
                    PARAM_NAMES.join(", ")
                )));
            }
        }
        let card = self.card_with(&names, &values)?;
        let (n, flat) = self.momenta(&momenta)?;
        let spec = Wrt {
            momenta: wrt_momenta,
            params: &wrt,
        };
        let rows = py
            .detach(|| self.batch_gradient(&card, &flat, n, &spec, check))
            .map_err(event_error("momenta"))?;
        let k = wrt.len();
        let p = self.n_particles();
        let values = Array1::from_iter(rows.iter().map(|r| r.0));
        let dparams = Array2::from_shape_fn((n, k), |(i, j)| rows[i].1[j]);
        let dmom = wrt_momenta
            .then(|| Array3::from_shape_fn((n, p, 4), |(i, a, c)| rows[i].1[k + 4 * a + c]));
        Ok((
            values.into_pyarray(py),
            dmom.map(|d| d.into_pyarray(py)),
            dparams.into_pyarray(py),
        ))
    }

    /// `n` phase-space points at `sqrt_s` (flat RAMBO map, uniform points from `seed`): the
    /// momenta of every particle of the string (events, particles, 4) and the cross-section
    /// integrand (ħc)²/(2s) Σ_sub |M|²·S·dΦ·Θ_cuts in pb (zero where a cut fails), whose mean
    /// estimates σ.
    #[pyo3(signature = (n, sqrt_s, seed, cuts, names, values))]
    #[allow(clippy::too_many_arguments)]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        sqrt_s: f64,
        seed: u64,
        cuts: Vec<(String, f64)>,
        names: Vec<String>,
        values: Vec<f64>,
    ) -> PyResult<Sample<'py>> {
        let card = self.card_with(&names, &values)?;
        let (process, particles) = self.collider(&cuts)?;
        let PhysicsProcess::String(sp) = &process else {
            unreachable!("built from a string")
        };
        let params = card.to_params::<f64>();
        let threshold = sp.threshold(&params);
        if !(sqrt_s.is_finite() && sqrt_s > threshold) {
            return Err(invalid(format!(
                "sqrt_s = {sqrt_s} GeV: must be finite and above the threshold {threshold} GeV of '{}'",
                self.me.text
            )));
        }
        let dim = sp.dim();
        let rows = py
            .detach(|| {
                map(n, |i| {
                    let x: Vec<f64> = (0..dim)
                        .map(|k| counter_uniform(seed, SAMPLE_STREAM, i as u64, k as u64))
                        .collect();
                    point(sp, &params, sqrt_s, &x)
                })
            })
            .map_err(|(i, e)| PyRuntimeError::new_err(format!("sample, event {i}: {e}")))?;
        let mom = Array3::from_shape_fn((n, particles, 4), |(i, a, c)| rows[i].0[4 * a + c]);
        let w = Array1::from_iter(rows.iter().map(|r| r.1));
        Ok((mom.into_pyarray(py), w.into_pyarray(py)))
    }

    /// The cross section at `sqrt_s` with its derivatives (`diffhep xsec`): a dict with
    /// `sigma_pb`, `error_pb`, `gradient` {name: (value, error)}, `events`, `rejected_points`.
    #[pyo3(signature = (sqrt_s, events, seed, vegas_iterations, vegas_calls, cuts, names, values))]
    #[allow(clippy::too_many_arguments)]
    fn xsec<'py>(
        &self,
        py: Python<'py>,
        sqrt_s: f64,
        events: usize,
        seed: u64,
        vegas_iterations: usize,
        vegas_calls: usize,
        cuts: Vec<(String, f64)>,
        names: Vec<String>,
        values: Vec<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let card = self.card_with(&names, &values)?;
        let (process, _) = self.collider(&cuts)?;
        let cfg = XsecConfig {
            events,
            seed,
            block: XsecConfig::default().block,
            vegas_iterations,
            vegas_calls,
        };
        let r = py
            .detach(|| cross_section(process, &card, sqrt_s, &cfg, None))
            .map_err(|e| value_error("xsec", &e))?;
        let d = PyDict::new(py);
        d.set_item("sigma_pb", r.sigma_pb)?;
        d.set_item("error_pb", r.sigma_err_pb)?;
        let g = PyDict::new(py);
        for (name, e) in &r.gradient {
            g.set_item(*name, (e.value, e.error))?;
        }
        d.set_item("gradient", g)?;
        d.set_item("events", r.events)?;
        d.set_item("rejected_points", r.rejected_points)?;
        Ok(d)
    }

    /// Seconds per call of the Rust computation behind `msq` on `momenta` (best of `repeats`),
    /// timed inside Rust: the baseline of the Python overhead bench.
    fn _rust_msq_seconds(
        &self,
        py: Python<'_>,
        momenta: PyReadonlyArray3<'_, f64>,
        repeats: usize,
    ) -> PyResult<f64> {
        let (n, flat) = self.momenta(&momenta)?;
        let card = self.card.clone();
        py.detach(|| {
            let mut best = f64::INFINITY;
            for _ in 0..repeats.max(1) {
                let t = std::time::Instant::now();
                let out = self.batch_msq(&card, &flat, n, true);
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(out).map_err(event_error("momenta"))?;
            }
            Ok(best)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Process('{}', subprocess='{}')",
            self.me.text,
            self.me.subprocesses[self.sub].label()
        )
    }
}

/// One phase-space point: flat momenta (4 per particle) and the integrand.
fn point(
    sp: &StringProcess,
    params: &SmParams<f64>,
    sqrt_s: f64,
    x: &[f64],
) -> Result<(Vec<f64>, f64), String> {
    let (mom, w) = sp.point(params, &sqrt_s, x).map_err(|e| e.to_string())?;
    if !w.is_finite() {
        return Err(format!("the integrand is {w}"));
    }
    Ok((
        mom.iter().flat_map(|p| [p.e, p.px, p.py, p.pz]).collect(),
        w,
    ))
}
