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

/// The longest DNS label; a region label longer than this names no host.
const MAX_LABEL: usize = 63;

/// Whether `label` can be the region of a registry host. The Go helper (v0.12.0) accepts any
/// `[a-zA-Z0-9][a-zA-Z0-9-_]*` here, and every host it accepts must work with us too, so this is
/// that rule (on the lower-cased host) plus the DNS limit on a label's length. A made-up region is
/// harmless: the API call for it fails and says so.
pub fn is_region(label: &str) -> bool {
    let bytes = label.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LABEL
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

/// Matches `<account>.dkr.ecr[-fips].<region>.<suffix>` or `<account>.dkr-ecr[-fips].<region>.<suffix>`
/// with the suffix from the table: the language of the Go helper's `ecrPattern`, which takes either
/// form under every suffix (its own test table has a China dual-stack host written `dkr.ecr.`). A
/// dual-stack form or a dual-stack suffix means the dual-stack API endpoint. A label parser rather
/// than a regular expression: compiling one costs more than the rest of a cache hit
/// together (see bench/RESULTS.md); a unit test checks it against the Go helper's pattern.
/// Returns the account, the region and whether the host is FIPS and dual-stack.
fn private_parts(host: &str) -> Option<(&str, &str, bool, bool)> {
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (service, rest) = rest.split_once('.')?;
    let (dual_stack_form, fips, rest) = match service {
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
    let suffix = PRIVATE_SUFFIXES.iter().find(|s| s.dns_suffix == suffix)?;
    is_region(region).then_some((account, region, fips, dual_stack_form || suffix.dual_stack))
}

/// Reduces a server string to its lower-case host: drops surrounding white space, an `http`/`https`
/// scheme, user information (as a URL parser does, so `user@host` names `host`), a path, query or
/// fragment, a port and one trailing dot. Anything that cannot be a plain host name (another
/// scheme, a port outside 1-65535) is returned as an error.
pub fn host_of(server: &str) -> Result<String, NotEcr> {
    let trimmed = server.trim();
    let rest = match split_scheme(trimmed) {
        Some((scheme, rest)) => {
            if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
                return Err(NotEcr(trimmed.to_string()));
            }
            rest
        }
        None => trimmed,
    };
    let authority = authority_of(rest);
    let host_port = without_user(authority);
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) => {
            let port_ok = !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok_and(|p| p != 0);
            if !port_ok {
                return Err(NotEcr(authority.to_string()));
            }
            host
        }
        None => host_port,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err(NotEcr(authority.to_string()));
    }
    Ok(host.to_ascii_lowercase())
}

/// `text` split at its first `://`: the scheme before it and the rest after it. A scan for the
/// colons: `str::split_once("://")` sets up a substring searcher that costs more than the scan,
/// on every get.
pub fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = bytes.get(from..)?.iter().position(|&b| b == b':') {
        let colon = from + found;
        if bytes.get(colon + 1..colon + 3) == Some(b"//") {
            return Some((text.get(..colon)?, text.get(colon + 3..)?));
        }
        from = colon + 1;
    }
    None
}

/// What follows a URL's scheme up to its path, query or fragment: the authority.
pub fn authority_of(rest: &str) -> &str {
    let end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    rest.get(..end).unwrap_or(rest)
}

/// An authority without its user information (`user@`), as a URL parser reads it: after the last `@`.
pub fn without_user(authority: &str) -> &str {
    match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    }
}

/// Parses a server string into the ECR registry it names.
pub fn parse(server: &str) -> Result<Registry, NotEcr> {
    let host = host_of(server)?;
    if let Some((_, dual_stack)) = PUBLIC_HOSTS.iter().find(|(name, _)| *name == host) {
        return Ok(Registry::Public(PublicRegistry { host, dual_stack: *dual_stack }));
    }
    let Some((account, region, fips, dual_stack)) = private_parts(&host) else { return Err(NotEcr(host)) };
    Ok(Registry::Private(PrivateRegistry {
        account: account.to_string(),
        region: region.to_string(),
        partition: partition::partition_of_region(region),
        fips,
        dual_stack,
        // Last: the parts above borrow it; the host moves in rather than being copied.
        host,
    }))
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
        "123456789012.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr-fipz.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.-east-1.amazonaws.com",
        "123456789012.dkr-ecr.dkr.ecr.us-east-1.on.aws",
        // Schemes, ports and characters that no client sends for a registry.
        "ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "oci://123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:https",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443:443",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:1234567",
        // Ports outside 1-65535 name no registry.
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:0",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:65536",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:99999",
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com:99999/v2/",
        // A region label longer than DNS allows.
        "123456789012.dkr.ecr.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.amazonaws.com",
        "123456789012.dkr.ecr._us-east-1.amazonaws.com",
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

    /// The Go helper v0.12.0's `TestExtractRegistry` table (ecr-login/api/client_test.go), plus the
    /// China dual-stack host written with `dkr.ecr.` that its pattern accepts: (server URL, account,
    /// FIPS, region) for a private registry, `Some(("", false, ""))` for ECR Public, `None` for an error.
    type GoRegistry = Option<(&'static str, bool, &'static str)>;
    const GO_EXTRACT_REGISTRY: &[(&str, GoRegistry)] = &[
        (
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/blah/blah",
            Some(("123456789012", false, "us-east-1")),
        ),
        ("123456789012.dkr.ecr.us-west-2.amazonaws.com", Some(("123456789012", false, "us-west-2"))),
        ("123456789012.dkr-ecr.us-west-2.on.aws", Some(("123456789012", false, "us-west-2"))),
        ("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/foo", Some(("210987654321", false, "cn-north-1"))),
        ("123456789012.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn", Some(("123456789012", false, "cn-north-1"))),
        ("123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn", Some(("123456789012", false, "cn-north-1"))),
        ("210987654321.dkr.ecr.us-iso-east-1.c2s.ic.gov", Some(("210987654321", false, "us-iso-east-1"))),
        ("123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", Some(("123456789012", false, "us-isob-east-1"))),
        ("123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", Some(("123456789012", false, "eu-isoe-west-1"))),
        ("123456789012.dkr.ecr.us-isof-east-1.csp.hci.ic.gov", Some(("123456789012", false, "us-isof-east-1"))),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Some(("123456789012", true, "us-gov-west-1"))),
        ("https://public.ecr.aws", Some(("", false, ""))),
        ("public.ecr.aws", Some(("", false, ""))),
        ("https://public.ecr.aws/amazonlinux", Some(("", false, ""))),
        (".dkr.ecr.not-real.amazonaws.com", None),
        ("not.ecr.io", None),
        ("https://123456789012.dkr.ecr.us-west-2.amazonaws.com.fake.example.com/image:latest", None),
        ("123456789012.dkr.ecr.us-west-2.amazonaws.com.fake.example.com", None),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com.fake.example.com", None),
        ("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn.fake.example.com.cn", None),
        ("https://public.ecr.aws.fake.example.com", None),
        ("public.ecr.aws.fake.example.com", None),
    ];

    #[test]
    fn the_go_helpers_extract_registry_table_holds() {
        for &(input, expected) in GO_EXTRACT_REGISTRY {
            match (parse(input), expected) {
                (Ok(Registry::Private(r)), Some((account, fips, region))) => {
                    assert_eq!((r.account.as_str(), r.fips, r.region.as_str()), (account, fips, region), "{input}");
                }
                (Ok(Registry::Public(_)), Some(("", false, ""))) | (Err(_), None) => {}
                (got, _) => panic!("{input}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    /// The Go helper v0.12.0's `ecrPattern`, as it stands in ecr-login/api/client.go.
    const GO_ECR_PATTERN: &str = r"^(\d{12})\.dkr[\.\-]ecr(\-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$";

    #[test]
    fn every_host_the_go_helpers_pattern_takes_is_ours_and_no_other() {
        let go = regex::Regex::new(GO_ECR_PATTERN).unwrap();
        let accounts = ["123456789012", "12345678901", "1234567890123", "12345678901a", ""];
        let services =
            ["dkr.ecr", "dkr-ecr", "dkr.ecr-fips", "dkr-ecr-fips", "dkr_ecr", "dkr.ecr-fipz", "ecr", "dkr..ecr"];
        let regions = [
            "us-east-1",
            "cn-north-1",
            "us-gov-west-1",
            "eusc-de-east-1",
            "useast1",
            "us_east_1",
            "us--1",
            "x",
            "9z",
            "-east-1",
            "_us",
            "",
            "us.east",
            "a-very-long-made-up-region-name-still-inside-dns-limits-of-63c",
        ];
        let suffixes = [
            "amazonaws.com",
            "amazonaws.com.cn",
            "amazonaws.eu",
            "on.aws",
            "on.amazonwebservices.com.cn",
            "sc2s.sgov.gov",
            "c2s.ic.gov",
            "cloud.adc-e.uk",
            "csp.hci.ic.gov",
            "amazonaws.co",
            "on.aws.evil",
            "amazonaws.com.evil.example",
            "api.aws",
            "amazonaws",
            "evil.example",
        ];
        let mut checked = 0;
        for account in accounts {
            for service in services {
                for region in regions {
                    for suffix in suffixes {
                        let host = format!("{account}.{service}.{region}.{suffix}");
                        let ours = matches!(parse(&host), Ok(Registry::Private(_)));
                        assert_eq!(ours, go.is_match(&host), "{host}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 8000);
        // Every private host of our own table, reduced to its bare host, is one the Go pattern takes.
        for &(_, host, ..) in PRIVATE {
            assert!(go.is_match(host), "{host}");
        }
    }

    #[test]
    fn the_table_holds_at_least_forty_cases() {
        assert!(PRIVATE.len() + PUBLIC.len() + REJECTED.len() >= 40);
    }

    #[test]
    fn every_suffix_takes_both_forms_and_a_dual_stack_one_means_the_dual_stack_endpoint() {
        for suffix in PRIVATE_SUFFIXES {
            for sep in [".", "-"] {
                let host = format!("123456789012.dkr{sep}ecr.us-east-1.{}", suffix.dns_suffix);
                let Ok(Registry::Private(r)) = parse(&host) else { panic!("{host}") };
                assert_eq!(r.dual_stack, sep == "-" || suffix.dual_stack, "{host}");
            }
        }
    }

    #[test]
    fn user_information_before_the_host_is_dropped_as_a_url_parser_does() {
        assert_eq!(host_of("user@123456789012.dkr.ecr.us-east-1.amazonaws.com"), Ok(HOST_FOR_TESTS.to_string()));
        assert_eq!(
            host_of("https://a:b@123456789012.dkr.ecr.us-east-1.amazonaws.com:443/v2/"),
            Ok(HOST_FOR_TESTS.to_string())
        );
        assert!(parse("123456789012.dkr.ecr.us-east-1.amazonaws.com@evil.example").is_err());
    }

    const HOST_FOR_TESTS: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
}
