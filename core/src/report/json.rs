//! `--format json`: the `driftd.report/v1` document, schema in `docs/report.schema.json`.

use super::{RenderOptions, Report};
use std::io::{self, Write};

pub fn render(report: &Report, _opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
