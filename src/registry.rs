//! Turns the server string a client sends into the registry it names: a private ECR registry
//! (account, region, partition, FIPS and dual-stack flags), ECR Public, or something else.
//!
//! Clients send many forms of the same host (REFERENCE section 2): a scheme in any case, a port, a
//! path, a trailing slash or dot, upper case and surrounding white space. All of them reduce to one
//! canonical lower-case host name, which is also the cache key.

use std::fmt;

use crate::partition::{self, PRIVATE_SUFFIXES, PUBLIC_HOSTS};

/// A private ECR registry, as named by its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateRegistry {
    /// Canonical host name: lower case, no scheme, port, path or trailing dot.
    pub host: String,
    /// The 12-digit AWS account id.
    pub account: String,
    /// The region in the host name; it overrides any configured region.
    pub region: String,
    /// The AWS partition, e.g. `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: &'static str,
    /// The host is a `-fips` one: the API call goes to the FIPS endpoint.
    pub fips: bool,
    /// The host is a dual-stack one: the API call goes to the dual-stack endpoint.
    pub dual_stack: bool,
}

/// ECR Public (`public.ecr.aws`): its API lives only in `us-east-1` of the `aws` partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRegistry {
    /// Canonical host name.
    pub host: String,
    /// The host is the dual-stack one.
    pub dual_stack: bool,
}

/// An ECR registry of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registry {
    /// A private registry of one account in one region.
    Private(PrivateRegistry),
    /// ECR Public.
    Public(PublicRegistry),
}

impl Registry {
    /// Canonical host name, used as the cache key and in `list`.
    pub fn host(&self) -> &str {
        match self {
            Registry::Private(r) => &r.host,
            Registry::Public(r) => &r.host,
        }
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.host())
    }
}

/// The server string names no ECR registry; carries the host part that was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEcr(pub String);

/// Whether `label` looks like a region name: 2 to 4 letters, one or more `-letters` parts, and a
/// `-` with 1 or 2 digits (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`).
fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else { return false };
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    (2..=4).contains(&first.len())
        && letters(first)
        && !middle.is_empty()
        && middle.iter().all(letters)
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// Matches `<account>.dkr.ecr[-fips].<region>.<suffix>` or the dual-stack
/// `<account>.dkr-ecr[-fips].<region>.<suffix>`, with the suffix from the table. A label parser
/// rather than a regular expression: compiling one cost more instructions than the rest of a
/// cache hit together (see bench/RESULTS.md).
fn parse_private(host: &str) -> Option<PrivateRegistry> {
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (service, rest) = rest.split_once('.')?;
    let (dual_stack, fips, rest) = match service {
        "dkr-ecr" => (true, false, rest),
        "dkr-ecr-fips" => (true, true, rest),
        "dkr" => match rest.split_once('.')? {
            ("ecr", rest) => (false, false, rest),
            ("ecr-fips", rest) => (false, true, rest),
            _ => return None,
        },
        _ => return None,
    };
    let (region, suffix) = rest.split_once('.')?;
    if !is_region(region) || !PRIVATE_SUFFIXES.iter().any(|s| s.dns_suffix == suffix && s.dual_stack == dual_stack) {
        return None;
    }
    Some(PrivateRegistry {
        host: host.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        partition: partition::partition_of_region(region),
        fips,
        dual_stack,
    })
}

/// Reduces a server string to its lower-case host: drops surrounding white space, an `http`/`https`
/// scheme, a path, query or fragment, a port and one trailing dot. Anything that cannot be a plain
/// host name (another scheme, user info, a bad port) is returned as an error.
pub fn host_of(server: &str) -> Result<String, NotEcr> {
    let trimmed = server.trim();
    let rest = match trimmed.find("://") {
        Some(i) => {
            let scheme = &trimmed[..i];
            if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
                return Err(NotEcr(trimmed.to_string()));
            }
            &trimmed[i + 3..]
        }
        None => trimmed,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(NotEcr(authority.to_string()));
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port_ok = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
            if !port_ok {
                return Err(NotEcr(authority.to_string()));
            }
            host
        }
        None => authority,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err(NotEcr(authority.to_string()));
    }
    Ok(host.to_ascii_lowercase())
}

/// Parses a server string into the ECR registry it names.
pub fn parse(server: &str) -> Result<Registry, NotEcr> {
    let host = host_of(server)?;
    if let Some((_, dual_stack)) = PUBLIC_HOSTS.iter().find(|(name, _)| *name == host) {
        return Ok(Registry::Public(PublicRegistry { host, dual_stack: *dual_stack }));
    }
    parse_private(&host).map(Registry::Private).ok_or(NotEcr(host))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// (input, host, account, region, partition, fips, dual_stack)
    pub(crate) const PRIVATE: &[(&str, &str, &str, &str, &str, bool, bool)] = &[
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "210987654321.dkr.ecr.eu-west-3.amazonaws.com",
            "210987654321.dkr.ecr.eu-west-3.amazonaws.com",
            "210987654321",
            "eu-west-3",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.ap-southeast-5.amazonaws.com",
            "123456789012.dkr.ecr.ap-southeast-5.amazonaws.com",
            "123456789012",
            "ap-southeast-5",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr-fips.us-east-2.amazonaws.com",
            "123456789012.dkr.ecr-fips.us-east-2.amazonaws.com",
            "123456789012",
            "us-east-2",
            "aws",
            true,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
            "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
            "123456789012",
            "us-gov-west-1",
            "aws-us-gov",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com",
            "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com",
            "123456789012",
            "us-gov-east-1",
            "aws-us-gov",
            true,
            false,
        ),
        (
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "123456789012",
            "cn-north-1",
            "aws-cn",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
            "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
            "123456789012",
            "cn-northwest-1",
            "aws-cn",
            false,
            false,
        ),
        (
            "123456789012.dkr-ecr.us-east-1.on.aws",
            "123456789012.dkr-ecr.us-east-1.on.aws",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            true,
        ),
        (
            "123456789012.dkr-ecr-fips.us-west-2.on.aws",
            "123456789012.dkr-ecr-fips.us-west-2.on.aws",
            "123456789012",
            "us-west-2",
            "aws",
            true,
            true,
        ),
        (
            "123456789012.dkr-ecr.us-gov-west-1.on.aws",
            "123456789012.dkr-ecr.us-gov-west-1.on.aws",
            "123456789012",
            "us-gov-west-1",
            "aws-us-gov",
            false,
            true,
        ),
        (
            "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn",
            "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn",
            "123456789012",
            "cn-north-1",
            "aws-cn",
            false,
            true,
        ),
        (
            "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov",
            "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov",
            "123456789012",
            "us-iso-east-1",
            "aws-iso",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
            "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
            "123456789012",
            "us-isob-east-1",
            "aws-iso-b",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
            "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
            "123456789012",
            "eu-isoe-west-1",
            "aws-iso-e",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov",
            "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov",
            "123456789012",
            "us-isof-south-1",
            "aws-iso-f",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
            "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
            "123456789012",
            "eusc-de-east-1",
            "aws-eusc",
            false,
            false,
        ),
        // The forms clients send for the same host.
        (
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "HTTPS://123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "http://123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "Http://123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/my/repo",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public/library/nginx:latest",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "  123456789012.dkr.ecr.us-east-1.amazonaws.com \r\n",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
        (
            "\t123456789012.dkr.ecr.us-east-1.amazonaws.com:5000\n",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012",
            "us-east-1",
            "aws",
            false,
            false,
        ),
    ];

    pub(crate) const PUBLIC: &[(&str, &str, bool)] = &[
        ("public.ecr.aws", "public.ecr.aws", false),
        ("https://public.ecr.aws", "public.ecr.aws", false),
        ("public.ecr.aws:443", "public.ecr.aws", false),
        ("public.ecr.aws/nginx/nginx", "public.ecr.aws", false),
        ("PUBLIC.ECR.AWS.", "public.ecr.aws", false),
        ("ecr-public.aws.com", "ecr-public.aws.com", true),
        ("https://ecr-public.aws.com/v2/", "ecr-public.aws.com", true),
    ];

    pub(crate) const REJECTED: &[&str] = &[
        "",
        "   ",
        "docker.io",
        "https://index.docker.io/v1/",
        "ghcr.io",
        "localhost:5000",
        "127.0.0.1:5000",
        "[::1]:5000",
        // Suffix attacks and look-alikes.
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.cn.evil.example",
        "evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com@evil.example",
        "user@123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "x.123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.co",
        "123456789012.dkr.ecr.us-east-1.amazonawsXcom",
        "123456789012.dkr.ecr.us-east-1.notamazonaws.com",
        "public.ecr.aws.evil.example",
        "evilpublic.ecr.aws",
        // Wrong account, region or layout.
        "12345678901.dkr.ecr.us-east-1.amazonaws.com",
        "1234567890123.dkr.ecr.us-east-1.amazonaws.com",
        "12345678901a.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.amazonaws.com",
        "123456789012.dkr.ecr.us_east_1.amazonaws.com",
        "123456789012.dkr.ecr.useast1.amazonaws.com",
        "123456789012.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr-fipz.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us--1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-123.amazonaws.com",
        "123456789012.dkr.ecr.abcde-east-1.amazonaws.com",
        "123456789012.dkr.ecr.US-east-1x.amazonaws.com",
        "123456789012.dkr-ecr.dkr.ecr.us-east-1.on.aws",
        // The dual-stack form only under dual-stack suffixes, and the reverse.
        "123456789012.dkr-ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.on.aws",
        // Schemes, ports and characters that no client sends for a registry.
        "ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "oci://123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:https",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443:443",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:1234567",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com..",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com extra",
        "123456789012.dkr.ecr.us-east-1.аmazonaws.com",
    ];

    #[test]
    fn private_hosts_in_every_form_are_parsed() {
        for &(input, host, account, region, partition, fips, dual_stack) in PRIVATE {
            let expected = Registry::Private(PrivateRegistry {
                host: host.to_string(),
                account: account.to_string(),
                region: region.to_string(),
                partition,
                fips,
                dual_stack,
            });
            assert_eq!(parse(input), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn public_hosts_are_parsed() {
        for &(input, host, dual_stack) in PUBLIC {
            let expected = Registry::Public(PublicRegistry { host: host.to_string(), dual_stack });
            assert_eq!(parse(input), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn non_ecr_and_hostile_hosts_are_rejected() {
        for input in REJECTED {
            assert!(parse(input).is_err(), "input {input:?} was accepted: {:?}", parse(input));
        }
    }

    #[test]
    fn the_table_holds_at_least_forty_cases() {
        assert!(PRIVATE.len() + PUBLIC.len() + REJECTED.len() >= 40);
    }

    #[test]
    fn every_suffix_in_the_table_is_accepted_in_its_own_form() {
        for suffix in PRIVATE_SUFFIXES {
            let sep = if suffix.dual_stack { "-" } else { "." };
            let host = format!("123456789012.dkr{sep}ecr.us-east-1.{}", suffix.dns_suffix);
            assert!(parse(&host).is_ok(), "{host}");
        }
    }
}
