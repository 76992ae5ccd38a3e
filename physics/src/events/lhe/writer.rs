//! Writing Les Houches Event files: a streaming [`LheWriter`] and [`write_lhe`] for a whole file.
//! Every value is validated before it is written, and floats get 17 significant digits so that
//! reading the file back gives the same events bit for bit.

use std::io::Write;

use super::{validate_event, validate_init, LheError, LheEvent, LheFile, LheInit};

/// Writes an LHE file: the envelope and `<init>` on creation, events one by one, the closing
/// tag on [`finish`](Self::finish).
pub struct LheWriter<W: Write> {
    out: W,
    events: usize,
}

impl<W: Write> LheWriter<W> {
    /// Write the opening tag, a short header and the `<init>` block.
    pub fn new(mut out: W, init: &LheInit) -> Result<Self, LheError> {
        validate_init(init)?;
        writeln!(out, "<LesHouchesEvents version=\"3.0\">")?;
        writeln!(out, "<header>")?;
        writeln!(out, "<!-- written by diffhep-physics -->")?;
        writeln!(out, "</header>")?;
        writeln!(out, "<init>")?;
        writeln!(
            out,
            "{} {} {:.16e} {:.16e} {} {} {} {} {} {}",
            init.beam_ids[0],
            init.beam_ids[1],
            init.beam_energies[0],
            init.beam_energies[1],
            init.pdf_groups[0],
            init.pdf_groups[1],
            init.pdf_sets[0],
            init.pdf_sets[1],
            init.weight_strategy,
            init.processes.len()
        )?;
        for p in &init.processes {
            writeln!(
                out,
                "{:.16e} {:.16e} {:.16e} {}",
                p.xsec, p.xsec_err, p.max_weight, p.id
            )?;
        }
        writeln!(out, "</init>")?;
        Ok(LheWriter { out, events: 0 })
    }

    /// Append one event.
    pub fn write_event(&mut self, ev: &LheEvent) -> Result<(), LheError> {
        validate_event(ev, self.events + 1)?;
        let out = &mut self.out;
        writeln!(out, "<event>")?;
        writeln!(
            out,
            "{} {} {:.16e} {:.16e} {:.16e} {:.16e}",
            ev.particles.len(),
            ev.process_id,
            ev.weight,
            ev.scale,
            ev.alpha_qed,
            ev.alpha_qcd
        )?;
        for p in &ev.particles {
            let [px, py, pz, e] = p.momentum;
            writeln!(
                out,
                "{} {} {} {} {} {} {:.16e} {:.16e} {:.16e} {:.16e} {:.16e} {:.16e} {:.16e}",
                p.pdg_id,
                p.status,
                p.mothers[0],
                p.mothers[1],
                p.colors[0],
                p.colors[1],
                px,
                py,
                pz,
                e,
                p.mass,
                p.lifetime,
                p.spin
            )?;
        }
        writeln!(out, "</event>")?;
        self.events += 1;
        Ok(())
    }

    /// Number of events written so far.
    pub fn events_written(&self) -> usize {
        self.events
    }

    /// Write the closing tag, flush, and return the output.
    pub fn finish(mut self) -> Result<W, LheError> {
        writeln!(self.out, "</LesHouchesEvents>")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Write a whole file.
pub fn write_lhe<W: Write>(out: W, file: &LheFile) -> Result<W, LheError> {
    let mut w = LheWriter::new(out, &file.init)?;
    for ev in &file.events {
        w.write_event(ev)?;
    }
    w.finish()
}
