//! The data tables behind host parsing: the DNS suffixes of ECR registries and the partitions that
//! regions belong to. A new partition or suffix is one more row here.

/// One DNS suffix under which private ECR registries are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suffix {
    /// The DNS suffix after the region label, e.g. `amazonaws.com`.
    pub dns_suffix: &'static str,
    /// Whether the suffix serves the dual-stack (`dkr-ecr`) host form rather than `dkr.ecr`.
    pub dual_stack: bool,
}

/// Every suffix that private ECR registries live under. Dual-stack hosts are
/// `<account>.dkr-ecr[-fips].<region>.<suffix>`; the others `<account>.dkr.ecr[-fips].<region>.<suffix>`.
pub const PRIVATE_SUFFIXES: &[Suffix] = &[
    // Commercial and GovCloud (the region says which partition).
    Suffix { dns_suffix: "amazonaws.com", dual_stack: false },
    Suffix { dns_suffix: "on.aws", dual_stack: true },
    // China.
    Suffix { dns_suffix: "amazonaws.com.cn", dual_stack: false },
    Suffix { dns_suffix: "on.amazonwebservices.com.cn", dual_stack: true },
    // ISO, ISO-B, ISO-E, ISO-F.
    Suffix { dns_suffix: "c2s.ic.gov", dual_stack: false },
    Suffix { dns_suffix: "sc2s.sgov.gov", dual_stack: false },
    Suffix { dns_suffix: "cloud.adc-e.uk", dual_stack: false },
    Suffix { dns_suffix: "csp.hci.ic.gov", dual_stack: false },
    // European Sovereign Cloud.
    Suffix { dns_suffix: "amazonaws.eu", dual_stack: false },
];

/// Host names of ECR Public, with whether each is the dual-stack one.
pub const PUBLIC_HOSTS: &[(&str, bool)] = &[("public.ecr.aws", false), ("ecr-public.aws.com", true)];

/// The partition of ECR Public's API.
pub const PUBLIC_PARTITION: &str = "aws";

/// The only region where ECR Public's API lives.
pub const PUBLIC_API_REGION: &str = "us-east-1";

/// One region of the `aws` partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsRegion {
    /// The region's name, e.g. `eu-west-1`.
    pub name: &'static str,
    /// An opt-in region: an account must enable it before any call there succeeds. Every region
    /// launched after March 2019 is one; the 17 older ones are enabled in every account.
    pub opt_in: bool,
}

/// The regions of the `aws` partition, for `configure --all-regions-of`. A region missing here
/// can still be configured by host with `--registry`.
pub const AWS_REGIONS: &[AwsRegion] = &[
    AwsRegion { name: "af-south-1", opt_in: true },
    AwsRegion { name: "ap-east-1", opt_in: true },
    AwsRegion { name: "ap-east-2", opt_in: true },
    AwsRegion { name: "ap-northeast-1", opt_in: false },
    AwsRegion { name: "ap-northeast-2", opt_in: false },
    AwsRegion { name: "ap-northeast-3", opt_in: false },
    AwsRegion { name: "ap-south-1", opt_in: false },
    AwsRegion { name: "ap-south-2", opt_in: true },
    AwsRegion { name: "ap-southeast-1", opt_in: false },
    AwsRegion { name: "ap-southeast-2", opt_in: false },
    AwsRegion { name: "ap-southeast-3", opt_in: true },
    AwsRegion { name: "ap-southeast-4", opt_in: true },
    AwsRegion { name: "ap-southeast-5", opt_in: true },
    AwsRegion { name: "ap-southeast-6", opt_in: true },
    AwsRegion { name: "ap-southeast-7", opt_in: true },
    AwsRegion { name: "ca-central-1", opt_in: false },
    AwsRegion { name: "ca-west-1", opt_in: true },
    AwsRegion { name: "eu-central-1", opt_in: false },
    AwsRegion { name: "eu-central-2", opt_in: true },
    AwsRegion { name: "eu-north-1", opt_in: false },
    AwsRegion { name: "eu-south-1", opt_in: true },
    AwsRegion { name: "eu-south-2", opt_in: true },
    AwsRegion { name: "eu-west-1", opt_in: false },
    AwsRegion { name: "eu-west-2", opt_in: false },
    AwsRegion { name: "eu-west-3", opt_in: false },
    AwsRegion { name: "il-central-1", opt_in: true },
    AwsRegion { name: "me-central-1", opt_in: true },
    AwsRegion { name: "me-south-1", opt_in: true },
    AwsRegion { name: "mx-central-1", opt_in: true },
    AwsRegion { name: "sa-east-1", opt_in: false },
    AwsRegion { name: "us-east-1", opt_in: false },
    AwsRegion { name: "us-east-2", opt_in: false },
    AwsRegion { name: "us-west-1", opt_in: false },
    AwsRegion { name: "us-west-2", opt_in: false },
];

/// Region-name prefixes of the partitions other than `aws`, longest first so that `us-gov-` and
/// `us-iso-` are told apart from each other.
const REGION_PREFIXES: &[(&str, &str)] = &[
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
];

/// The partition a region belongs to: `aws` unless its name says otherwise.
pub fn partition_of_region(region: &str) -> &'static str {
    REGION_PREFIXES.iter().find(|(prefix, _)| region.starts_with(prefix)).map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partitions() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-central-2", "aws"),
            ("us-gov-west-1", "aws-us-gov"),
            ("cn-northwest-1", "aws-cn"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition_of_region(region), partition, "{region}");
        }
    }

    #[test]
    fn seventeen_regions_are_enabled_by_default_and_the_rest_are_opt_in() {
        let default: Vec<&str> = AWS_REGIONS.iter().filter(|r| !r.opt_in).map(|r| r.name).collect();
        assert_eq!(default.len(), 17, "{default:?}");
        for region in ["us-east-1", "eu-west-1", "ap-northeast-3", "sa-east-1", "ca-central-1", "eu-north-1"] {
            assert!(default.contains(&region), "{region}");
        }
        for region in ["af-south-1", "ap-east-1", "me-south-1", "il-central-1", "mx-central-1", "ca-west-1"] {
            assert!(AWS_REGIONS.iter().any(|r| r.name == region && r.opt_in), "{region}");
        }
    }

    #[test]
    fn no_suffix_is_listed_twice() {
        for (i, a) in PRIVATE_SUFFIXES.iter().enumerate() {
            for b in &PRIVATE_SUFFIXES[i + 1..] {
                assert_ne!(a.dns_suffix, b.dns_suffix);
            }
        }
    }
}
