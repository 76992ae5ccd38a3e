//! The flow file format: JSON holding the architecture, the coupling partitions, the
//! standardisation and the parameters.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::construction::net_spec;
use super::{Flow, Standardization};
use crate::error::check_len;
use crate::flows::spec::{FlowError, FlowSpec};
use crate::nn::Mlp;

#[derive(Serialize, Deserialize)]
struct FlowFile {
    format: String,
    spec: FlowSpec,
    partitions: Vec<(Vec<usize>, Vec<usize>)>,
    standardization: Option<Standardization>,
    params: Vec<f64>,
}

const FILE_FORMAT: &str = "diffhep-flow-1";

impl Flow {
    /// The flow as JSON (architecture, partitions, standardisation, parameters).
    pub fn to_json(&self) -> String {
        let file = FlowFile {
            format: FILE_FORMAT.into(),
            spec: self.spec.clone(),
            partitions: self
                .layers
                .iter()
                .map(|l| (l.cond.clone(), l.trans.clone()))
                .collect(),
            standardization: self.standardization.clone(),
            params: self.params(),
        };
        serde_json::to_string(&file).expect("flow serialises")
    }

    /// A flow from [`Flow::to_json`] output.
    pub fn from_json(s: &str) -> Result<Flow, FlowError> {
        let file: FlowFile = serde_json::from_str(s).map_err(|e| FlowError::File(e.to_string()))?;
        if file.format != FILE_FORMAT {
            return Err(FlowError::File(format!(
                "unknown format {:?} (expected {FILE_FORMAT:?})",
                file.format
            )));
        }
        let mut flow = Flow::new(file.spec, 0)?;
        check_len(
            "number of layer partitions",
            flow.layers.len(),
            file.partitions.len(),
        )?;
        for (layer, (cond, trans)) in flow.layers.iter_mut().zip(file.partitions) {
            let mut all: Vec<usize> = cond.iter().chain(&trans).cloned().collect();
            all.sort_unstable();
            if all != (0..flow.spec.dim).collect::<Vec<_>>() || trans.is_empty() {
                return Err(FlowError::File(
                    "a layer partition is not a split of the coordinates".into(),
                ));
            }
            if cond.len() != layer.cond.len() {
                let net_spec = net_spec(&flow.spec, &flow.elem, cond.len(), trans.len());
                layer.net = Mlp::zeros(net_spec)?;
            }
            layer.cond = cond;
            layer.trans = trans;
        }
        flow.set_params(&file.params)?;
        flow.set_standardization(file.standardization)?;
        Ok(flow)
    }

    /// Write [`Flow::to_json`] to a file.
    pub fn save(&self, path: &Path) -> Result<(), FlowError> {
        crate::files::write_atomic(path, self.to_json()).map_err(|e| FlowError::File(e.to_string()))
    }

    /// Read a flow written by [`Flow::save`].
    pub fn load(path: &Path) -> Result<Flow, FlowError> {
        let s = std::fs::read_to_string(path)
            .map_err(|e| FlowError::File(format!("{}: {e}", path.display())))?;
        Flow::from_json(&s)
    }
}
