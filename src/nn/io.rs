//! Saving and loading network weights as safetensors files.
//!
//! Layer `l` is stored as tensors `layers.{l}.weight` (shape `[in, out]`) and `layers.{l}.bias`
//! (shape `[out]`) in the network's element type; the architecture ([`MlpSpec`]) is stored as
//! JSON in the file's metadata under `diffhep.mlp_spec`, so a file is self-describing.

use std::collections::HashMap;
use std::path::Path;

use dfdx::prelude::{Cpu, Device, HasShape};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};

use super::error::NnError;
use super::mlp::{Mlp, MlpSpec, NnFloat};

const SPEC_KEY: &str = "diffhep.mlp_spec";

fn st_dtype<E: NnFloat>() -> StDtype {
    if E::BYTES == 8 {
        StDtype::F64
    } else {
        StDtype::F32
    }
}

fn file_err(e: impl std::fmt::Display) -> NnError {
    NnError::File(e.to_string())
}

impl<E: NnFloat> Mlp<E>
where
    Cpu: Device<E>,
{
    /// Serialise the weights and architecture to safetensors bytes.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, NnError> {
        let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for l in 0..self.num_layers() {
            let w = self.weight(l);
            let (i, o) = (w.shape().0, w.shape().1);
            let mut bytes = Vec::with_capacity(i * o * E::BYTES);
            w.as_vec().into_iter().for_each(|x| x.write_le(&mut bytes));
            buffers.push((format!("layers.{l}.weight"), vec![i, o], bytes));
            let mut bytes = Vec::with_capacity(o * E::BYTES);
            self.bias(l)
                .as_vec()
                .into_iter()
                .for_each(|x| x.write_le(&mut bytes));
            buffers.push((format!("layers.{l}.bias"), vec![o], bytes));
        }
        let views = buffers
            .iter()
            .map(|(n, s, b)| Ok((n.clone(), TensorView::new(st_dtype::<E>(), s.clone(), b)?)))
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(file_err)?;
        let spec = serde_json::to_string(self.spec()).map_err(file_err)?;
        let meta = Some(HashMap::from([(SPEC_KEY.to_string(), spec)]));
        safetensors::tensor::serialize(views, &meta).map_err(file_err)
    }

    /// Rebuild a network from [`Mlp::to_safetensors`] bytes; the element type must match.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, NnError> {
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(file_err)?;
        let spec_json = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get(SPEC_KEY))
            .ok_or_else(|| NnError::File(format!("metadata key {SPEC_KEY} missing")))?;
        let spec: MlpSpec = serde_json::from_str(spec_json).map_err(file_err)?;
        let st = SafeTensors::deserialize(bytes).map_err(file_err)?;
        // Never reserve more than the file's bytes can hold (the spec comes from the file).
        let mut flat: Vec<E> = Vec::with_capacity(spec.num_params().min(bytes.len() / E::BYTES));
        let mut read = |name: String, shape: Vec<usize>| -> Result<(), NnError> {
            let t = st
                .tensor(&name)
                .map_err(|e| NnError::File(format!("{name}: {e}")))?;
            if t.dtype() != st_dtype::<E>() {
                return Err(NnError::File(format!(
                    "{name} has dtype {:?}, the network uses {}",
                    t.dtype(),
                    E::NAME
                )));
            }
            if t.shape() != shape.as_slice() {
                return Err(NnError::File(format!(
                    "{name} has shape {:?}, the spec says {shape:?}",
                    t.shape()
                )));
            }
            flat.extend(t.data().chunks_exact(E::BYTES).map(E::read_le));
            Ok(())
        };
        for (l, w) in spec.widths.windows(2).enumerate() {
            read(format!("layers.{l}.weight"), vec![w[0], w[1]])?;
            read(format!("layers.{l}.bias"), vec![w[1]])?;
        }
        let mut net = Mlp::zeros(spec)?;
        net.set_params(&flat)?;
        Ok(net)
    }

    /// Write the weights to a safetensors file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NnError> {
        let path = path.as_ref();
        crate::files::write_atomic(path, self.to_safetensors()?)
            .map_err(|e| NnError::File(e.to_string()))
    }

    /// Read a network written by [`Mlp::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, NnError> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| NnError::File(format!("{}: {e}", path.display())))?;
        Self::from_safetensors(&bytes)
    }
}
