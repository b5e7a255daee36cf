//! GPU facts of instance types and VM sizes (count, model, memory per GPU), attached
//! to every policy input as `gpu` so rules can say "GPU node" or "H100" without a
//! list of sizes. Providers that read the cloud's own facts (DescribeInstanceTypes)
//! override this table on a live scan; code-only and state-only runs have this table
//! alone ([`AS_OF`]). A size not known here has `gpu: null`. Trainium (trn1, trn2) is
//! listed as the accelerator it is: policies on "GPU nodes" cover ML accelerators.

use crate::model::Cloud;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuFacts {
    /// GPUs per instance; fractional for partitioned GPUs (Azure NVadsA10 v5).
    pub count: f64,
    pub model: &'static str,
    pub memory_gib: u32,
    /// Instance family (`p5`, `g6e`, `NDasrA100_v4`): what policies on "p4d/p5 training" match.
    pub family: String,
}

/// When the table was last checked against the clouds' instance type and VM size pages.
pub const AS_OF: &str = "2026-12-04";

/// GPUs per size suffix (`48xlarge` -> 8).
type Sizes = &'static [(&'static str, f64)];

/// Sizes of the g5, g6 and g6e families (one GPU up to 16xlarge, then 4 and 8).
const G_SIZES: Sizes = &[
    ("xlarge", 1.0),
    ("2xlarge", 1.0),
    ("4xlarge", 1.0),
    ("8xlarge", 1.0),
    ("16xlarge", 1.0),
    ("12xlarge", 4.0),
    ("24xlarge", 4.0),
    ("48xlarge", 8.0),
];

/// AWS families: prefix, GPU model, GiB per GPU, GPUs per size suffix.
const AWS: &[(&str, &str, u32, Sizes)] = &[
    ("p3dn", "V100", 32, &[("24xlarge", 8.0)]),
    ("p3", "V100", 16, &[("2xlarge", 1.0), ("8xlarge", 4.0), ("16xlarge", 8.0)]),
    ("p4de", "A100", 80, &[("24xlarge", 8.0)]),
    ("p4d", "A100", 40, &[("24xlarge", 8.0)]),
    ("p5en", "H200", 141, &[("48xlarge", 8.0)]),
    ("p5e", "H200", 141, &[("48xlarge", 8.0)]),
    ("p5", "H100", 80, &[("4xlarge", 1.0), ("48xlarge", 8.0)]),
    ("p6-b200", "B200", 179, &[("48xlarge", 8.0)]),
    ("trn1n", "Trainium", 32, &[("32xlarge", 16.0)]),
    ("trn1", "Trainium", 32, &[("2xlarge", 1.0), ("32xlarge", 16.0)]),
    ("trn2", "Trainium2", 96, &[("48xlarge", 16.0)]),
    (
        "g4dn",
        "T4",
        16,
        &[
            ("xlarge", 1.0),
            ("2xlarge", 1.0),
            ("4xlarge", 1.0),
            ("8xlarge", 1.0),
            ("16xlarge", 1.0),
            ("12xlarge", 4.0),
            ("metal", 8.0),
        ],
    ),
    ("g5", "A10G", 24, G_SIZES),
    ("g6e", "L40S", 48, G_SIZES),
    ("g6", "L4", 24, G_SIZES),
];

/// Azure sizes (lowercase), family, model, GiB per GPU, count.
const AZURE: &[(&str, &str, &str, u32, f64)] = &[
    ("standard_nc6s_v3", "NCv3", "V100", 16, 1.0),
    ("standard_nc12s_v3", "NCv3", "V100", 16, 2.0),
    ("standard_nc24s_v3", "NCv3", "V100", 16, 4.0),
    ("standard_nc24rs_v3", "NCv3", "V100", 16, 4.0),
    ("standard_nc4as_t4_v3", "NCasT4_v3", "T4", 16, 1.0),
    ("standard_nc8as_t4_v3", "NCasT4_v3", "T4", 16, 1.0),
    ("standard_nc16as_t4_v3", "NCasT4_v3", "T4", 16, 1.0),
    ("standard_nc64as_t4_v3", "NCasT4_v3", "T4", 16, 4.0),
    ("standard_nc24ads_a100_v4", "NCadsA100_v4", "A100", 80, 1.0),
    ("standard_nc48ads_a100_v4", "NCadsA100_v4", "A100", 80, 2.0),
    ("standard_nc96ads_a100_v4", "NCadsA100_v4", "A100", 80, 4.0),
    ("standard_nc40ads_h100_v5", "NCadsH100_v5", "H100", 94, 1.0),
    ("standard_nc80adis_h100_v5", "NCadsH100_v5", "H100", 94, 2.0),
    ("standard_nd96asr_v4", "NDasrA100_v4", "A100", 40, 8.0),
    ("standard_nd96amsr_a100_v4", "NDamsrA100_v4", "A100", 80, 8.0),
    ("standard_nd96isr_h100_v5", "NDisrH100_v5", "H100", 80, 8.0),
    ("standard_nd96isr_h200_v5", "NDisrH200_v5", "H200", 141, 8.0),
    ("standard_nv6ads_a10_v5", "NVadsA10_v5", "A10", 24, 1.0 / 6.0),
    ("standard_nv12ads_a10_v5", "NVadsA10_v5", "A10", 24, 1.0 / 3.0),
    ("standard_nv18ads_a10_v5", "NVadsA10_v5", "A10", 24, 0.5),
    ("standard_nv36ads_a10_v5", "NVadsA10_v5", "A10", 24, 1.0),
    ("standard_nv72ads_a10_v5", "NVadsA10_v5", "A10", 24, 2.0),
];

pub fn facts(cloud: Cloud, size: &str) -> Option<GpuFacts> {
    match cloud {
        Cloud::Aws => {
            let (family, suffix) = size.split_once('.')?;
            let (_, model, mem, sizes) = AWS.iter().find(|(f, ..)| *f == family)?;
            let (_, count) = sizes.iter().find(|(s, _)| *s == suffix)?;
            Some(GpuFacts { count: *count, model, memory_gib: *mem, family: family.to_string() })
        }
        Cloud::Azure => {
            let size = size.to_ascii_lowercase();
            let (_, family, model, mem, count) = AZURE.iter().find(|(s, ..)| *s == size)?;
            Some(GpuFacts { count: *count, model, memory_gib: *mem, family: family.to_string() })
        }
        Cloud::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sizes_have_facts_others_none() {
        let p5 = facts(Cloud::Aws, "p5.48xlarge").unwrap();
        assert_eq!((p5.count, p5.model, p5.memory_gib, p5.family.as_str()), (8.0, "H100", 80, "p5"));
        assert_eq!(facts(Cloud::Aws, "p5e.48xlarge").unwrap().model, "H200");
        assert_eq!(facts(Cloud::Aws, "g6e.12xlarge").unwrap().count, 4.0);
        assert_eq!(facts(Cloud::Aws, "trn2.48xlarge").unwrap().model, "Trainium2");
        assert_eq!(facts(Cloud::Aws, "m5.large"), None);
        assert_eq!(facts(Cloud::Aws, "t3"), None);
        assert_eq!(facts(Cloud::Azure, "Standard_ND96asr_v4").unwrap().count, 8.0);
        assert_eq!(facts(Cloud::Azure, "Standard_D4s_v5"), None);
    }
}
