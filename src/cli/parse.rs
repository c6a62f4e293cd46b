//! The command line, parsed once into the [`Command`] that runs: a docker-credential-helpers
//! action, the kubelet provider, `doctor` or `configure`. A hand parser: the protocol is one word,
//! and a cache hit must not pay for more.

use super::configure::{self, Client};
use super::docker::Action;
use super::export::{self, DOCKERCONFIG_USAGE, PASSWORD_USAGE};
use super::kubelet;
use crate::error::Error;
use crate::installs;
use crate::partition::AWS_REGIONS;
use crate::registry;
use crate::version::version_line;

/// The usage line, as the Go library prints it.
pub const USAGE: &str = "Usage: docker-credential-ecr-login <store|get|erase|list|version>";

/// The usage of `configure`.
pub const CONFIGURE_USAGE: &str = "usage: docker-credential-ecr-login configure docker|podman [--registry HOST]... \
[--all-regions-of ACCOUNT [--include-opt-in-regions]]...\n       docker-credential-ecr-login configure docker \
--creds-store [--undo]\n       docker-credential-ecr-login configure kubelet [--service-accounts]";

/// The usage of `login`.
const LOGIN_USAGE: &str = "usage: docker-credential-ecr-login login HOST...";

/// The option of `configure` that adds the opt-in regions to `--all-regions-of`.
const OPT_IN: &str = "--include-opt-in-regions";

/// What one run of the binary does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A docker-credential-helpers action, or `version`/`help`.
    Protocol(Action),
    /// No action, an unknown one, or more than one argument: the usage line. Carries the
    /// arguments, for the message.
    Usage(Vec<String>),
    /// Answer one kubelet `CredentialProviderRequest`: the `kubelet-provider` subcommand, or the
    /// binary run as `ecr-credential-provider` (with any arguments).
    Kubelet,
    /// `doctor [HOST]`.
    Doctor {
        /// The registry to examine; else the first one docker routes to us.
        host: Option<String>,
    },
    /// `configure …`.
    Configure(configure::Request),
    /// `login HOST…`: tokens into the cache now, with the MFA prompt where needed.
    Login {
        /// The registries (or aliases).
        hosts: Vec<String>,
    },
    /// `password HOST`: the registry password alone.
    Password {
        /// The registry (or alias).
        host: String,
    },
    /// `dockerconfig HOST… [--kubernetes-secret NAME [--namespace NS]]`.
    DockerConfig(export::Request),
}

/// The name a program was run as: `argv[0]`'s last component, without the `.exe` that Windows
/// requires of a program (the kubelet on a Windows node runs `ecr-credential-provider.exe`).
fn invoked_as(program: &str) -> &str {
    let name = std::path::Path::new(program).file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match name.len().checked_sub(4).filter(|&at| name.is_char_boundary(at)) {
        Some(at) if name[at..].eq_ignore_ascii_case(".exe") => &name[..at],
        _ => name,
    }
}

impl Command {
    /// Parses `args` (after the program name) for a binary invoked as `program` (`argv[0]`). Only
    /// `configure`'s arguments can be wrong in a way that is not the protocol's usage error.
    pub fn parse(program: &str, args: &[String]) -> Result<Command, Error> {
        if invoked_as(program) == installs::PROVIDER_NAME {
            return Ok(Command::Kubelet);
        }
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(match words.as_slice() {
            [one] => match *one {
                "get" => Command::Protocol(Action::Get),
                "store" => Command::Protocol(Action::Store),
                "erase" => Command::Protocol(Action::Erase),
                "list" => Command::Protocol(Action::List),
                "version" | "-v" | "--version" => Command::Protocol(Action::Version),
                "-h" | "--help" | "help" => Command::Protocol(Action::Help),
                kubelet::SUBCOMMAND => Command::Kubelet,
                "doctor" => Command::Doctor { host: None },
                "configure" => return Err(configure_usage("name what to configure")),
                "login" => return Err(Error::LoginUsage { usage: LOGIN_USAGE }),
                "password" => return Err(export::usage("name the registry host".into(), PASSWORD_USAGE)),
                "dockerconfig" => {
                    return Err(export::usage("name at least one registry host".into(), DOCKERCONFIG_USAGE));
                }
                _ => Command::Usage(args.to_vec()),
            },
            ["doctor", host] => Command::Doctor { host: Some((*host).to_string()) },
            ["login", hosts @ ..] if !hosts.is_empty() => {
                Command::Login { hosts: hosts.iter().map(|h| (*h).to_string()).collect() }
            }
            // `configure docker --help` asks for the usage, which the help shows.
            ["configure", rest @ ..] if rest.iter().any(|w| matches!(*w, "-h" | "--help")) => {
                Command::Protocol(Action::Help)
            }
            ["configure", rest @ ..] => Command::Configure(parse_configure(rest)?),
            ["password", host] => Command::Password { host: (*host).to_string() },
            ["password", ..] => return Err(export::usage("password takes one registry host".into(), PASSWORD_USAGE)),
            ["dockerconfig", rest @ ..] => Command::DockerConfig(export::Request::parse(rest)?),
            _ => Command::Usage(args.to_vec()),
        })
    }
}

fn configure_usage(problem: &str) -> Error {
    Error::ConfigureUsage { usage: format!("{problem}\n{CONFIGURE_USAGE}") }
}

/// `configure docker|podman [--registry HOST]... [--all-regions-of ACCOUNT]... [--include-opt-in-regions]`
/// or `configure kubelet [--service-accounts]`.
fn parse_configure(words: &[&str]) -> Result<configure::Request, Error> {
    match words {
        ["kubelet"] => Ok(configure::Request::Kubelet { service_accounts: false }),
        ["kubelet", "--service-accounts"] => Ok(configure::Request::Kubelet { service_accounts: true }),
        ["docker", "--creds-store"] => Ok(configure::Request::CredsStore { undo: false }),
        ["docker", "--creds-store", "--undo"] => Ok(configure::Request::CredsStore { undo: true }),
        ["docker", rest @ ..] => {
            Ok(configure::Request::Route { client: Client::Docker, hosts: hosts_from_args(rest)? })
        }
        ["podman", rest @ ..] => {
            Ok(configure::Request::Route { client: Client::Podman, hosts: hosts_from_args(rest)? })
        }
        _ => Err(configure_usage("configure docker, podman or kubelet")),
    }
}

/// The hosts named by `--registry HOST` and `--all-regions-of ACCOUNT`, canonical and validated.
/// `--all-regions-of` names the regions every account has; opt-in regions come only with
/// `--include-opt-in-regions`, because a call to a region the account has not enabled fails, and a
/// docker that asks for every configured registry at once (classic builds) would ask for each.
fn hosts_from_args(words: &[&str]) -> Result<Vec<String>, Error> {
    let include_opt_in = words.contains(&OPT_IN);
    let mut hosts = Vec::new();
    let mut words = words.iter().filter(|w| **w != OPT_IN);
    while let Some(flag) = words.next() {
        // Read only once the option is known: an unknown one is named as such, not as lacking a value.
        let mut value = || words.next().ok_or_else(|| configure_usage(&format!("{flag} needs a value")));
        match *flag {
            // A host that is not ECR may be an alias, which `configure` checks against the
            // configuration file.
            "--registry" => {
                let value = value()?;
                match registry::parse(value) {
                    Ok(registry) => hosts.push(registry.host().to_string()),
                    Err(_) => hosts.push(crate::config::normal_host(value)),
                }
            }
            "--all-regions-of" => {
                let value = value()?;
                if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::NotAnAccount { value: (*value).to_string() });
                }
                hosts.extend(
                    AWS_REGIONS
                        .iter()
                        .filter(|region| include_opt_in || !region.opt_in)
                        .map(|region| format!("{value}.dkr.ecr.{}.amazonaws.com", region.name)),
                );
            }
            _ => return Err(configure_usage(&format!("unknown option {}", crate::printable::quote(flag)))),
        }
    }
    if hosts.is_empty() {
        return Err(configure_usage("name at least one registry"));
    }
    hosts.dedup();
    Ok(hosts)
}

/// `help`'s text.
pub fn help_text(default_timeout_secs: u64) -> String {
    format!(
        "{version}
Amazon ECR credential helper for docker, podman, nerdctl and other container clients.

{USAGE}

  get       read a registry host on stdin, print {{\"ServerURL\",\"Username\",\"Secret\"}}
  store     accepted and ignored for ECR hosts (ECR tokens are minted, not stored)
  erase     accepted and ignored for ECR hosts
  list      print the ECR hosts with cached tokens for the current AWS identity
  version   print the version

  configure docker|podman [--registry HOST]... [--all-regions-of ACCOUNT [--include-opt-in-regions]]...
            route ECR hosts to this helper in docker's config.json or containers' auth.json
  configure docker --creds-store [--undo]
            make ecr-login docker's credsStore, the old store becoming its fallback
  configure kubelet [--service-accounts]
            print the kubelet's CredentialProviderConfig
  login HOST...
            get tokens into the cache now, asking for an MFA code on the terminal if needed
  password HOST
            print the registry password alone (for docker login --password-stdin, --creds)
  dockerconfig [--kubernetes-secret NAME [--namespace NS]] HOST...
            print {{\"auths\":{{HOST:{{...}}}}}} as docker login writes it, or a Kubernetes
            kubernetes.io/dockerconfigjson Secret holding it (for kubectl apply -f -)
  doctor [HOST]
            check everything a get depends on, with a fix for each problem
  kubelet-provider
            answer one kubelet CredentialProviderRequest on stdin (also when run as
            ecr-credential-provider)

Environment:
  AWS_PROFILE, AWS_REGION, AWS_* the standard AWS credential chain and endpoint settings
  AWS_ECR_CACHE_DIR              cache directory (default: the platform cache directory)
  AWS_ECR_DISABLE_CACHE          any non-empty value turns the cache off
  AWS_ECR_IGNORE_CREDS_STORAGE   true: store and erase succeed silently for every host
  ECR_LOGIN_TIMEOUT              seconds a token fetch may take in all (default {default_timeout_secs})
  ECR_LOGIN_CONFIG               the configuration file (default ~/.config/ecr-login/config.toml;
                                 /dev/null: none): rules, aliases and the fallback store
  ECR_LOGIN_DEBUG                1: a line per decision on stderr; an absolute path: appended there
",
        version = version_line(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

    fn parse(program: &str, words: &[&str]) -> Result<Command, Error> {
        Command::parse(program, &words.iter().map(ToString::to_string).collect::<Vec<_>>())
    }

    fn hosts(words: &[&str]) -> Result<Vec<String>, Error> {
        match parse("docker-credential-ecr-login", &[&["configure", "docker"][..], words].concat())? {
            Command::Configure(configure::Request::Route { hosts, .. }) => Ok(hosts),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_protocol_word_is_its_action_and_anything_else_is_the_usage_error() {
        let program = "/usr/bin/docker-credential-ecr-login";
        for (word, action) in [
            ("get", Action::Get),
            ("store", Action::Store),
            ("erase", Action::Erase),
            ("list", Action::List),
            ("version", Action::Version),
            ("-v", Action::Version),
            ("--version", Action::Version),
            ("--help", Action::Help),
        ] {
            assert_eq!(parse(program, &[word]).unwrap(), Command::Protocol(action), "{word}");
        }
        for words in [&[][..], &["GET"], &["get", "list"], &["doctor", "a", "b"], &["nope"]] {
            assert!(matches!(parse(program, words).unwrap(), Command::Usage(_)), "{words:?}");
        }
    }

    #[test]
    fn the_kubelet_mode_is_chosen_by_subcommand_or_by_program_name() {
        assert_eq!(parse("docker-credential-ecr-login", &["kubelet-provider"]).unwrap(), Command::Kubelet);
        assert_eq!(parse("/opt/bin/ecr-credential-provider", &["--v=2"]).unwrap(), Command::Kubelet);
        assert_eq!(parse("ecr-credential-provider", &[]).unwrap(), Command::Kubelet);
        assert_eq!(parse("ecr-credential-provider.exe", &[]).unwrap(), Command::Kubelet);
        assert_eq!(parse("ecr-credential-provider.EXE", &["--v=2"]).unwrap(), Command::Kubelet);
        assert_eq!(parse("ecr-credential-provider.exe.bak", &["get"]).unwrap(), Command::Protocol(Action::Get));
    }

    #[test]
    fn doctor_takes_at_most_one_host() {
        assert_eq!(parse("x", &["doctor"]).unwrap(), Command::Doctor { host: None });
        assert_eq!(parse("x", &["doctor", HOST]).unwrap(), Command::Doctor { host: Some(HOST.into()) });
        assert_eq!(
            parse("x", &["login", HOST, "r.example"]).unwrap(),
            Command::Login { hosts: vec![HOST.into(), "r.example".into()] }
        );
        assert!(matches!(parse("x", &["login"]), Err(Error::LoginUsage { .. })));
        assert_eq!(parse("x", &["password", HOST]).unwrap(), Command::Password { host: HOST.into() });
        for words in [&["password"][..], &["password", HOST, HOST], &["dockerconfig"]] {
            assert!(matches!(parse("x", words), Err(Error::ExportUsage { .. })), "{words:?}");
        }
        assert!(matches!(parse("x", &["dockerconfig", HOST]).unwrap(), Command::DockerConfig(_)));
    }

    #[test]
    fn configure_arguments_are_validated_and_hosts_made_canonical() {
        assert_eq!(hosts(&["--registry", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/"]).unwrap(), [HOST]);
        let enabled = hosts(&["--all-regions-of", "210987654321"]).unwrap();
        assert_eq!(enabled.len(), 17);
        assert!(enabled.contains(&"210987654321.dkr.ecr.eu-west-1.amazonaws.com".to_string()));
        assert!(!enabled.iter().any(|h| h.contains(".af-south-1.") || h.contains(".me-south-1.")), "{enabled:?}");
        let all = hosts(&["--all-regions-of", "210987654321", "--include-opt-in-regions"]).unwrap();
        assert_eq!(all.len(), AWS_REGIONS.len());
        assert!(all.contains(&"210987654321.dkr.ecr.af-south-1.amazonaws.com".to_string()));
        assert!(all.iter().all(|h| registry::parse(h).is_ok()));
        assert_eq!(hosts(&["--registry", "https://Registry.Example.com/v2/"]).unwrap(), ["registry.example.com"]);
        assert!(matches!(hosts(&["--all-regions-of", "12"]), Err(Error::NotAnAccount { .. })));
        for bad in [&["--registry"][..], &["--bogus", "x"], &[]] {
            assert!(matches!(hosts(bad), Err(Error::ConfigureUsage { .. })), "{bad:?}");
        }
        for words in [&["configure"][..], &["configure", "kubelet", "--bogus"], &["configure", "nerdctl"]] {
            assert!(matches!(parse("x", words), Err(Error::ConfigureUsage { .. })), "{words:?}");
        }
        assert_eq!(
            parse("x", &["configure", "kubelet", "--service-accounts"]).unwrap(),
            Command::Configure(configure::Request::Kubelet { service_accounts: true })
        );
        for words in [&["configure", "docker", "--help"][..], &["configure", "-h"], &["configure", "kubelet", "--help"]]
        {
            assert_eq!(parse("x", words).unwrap(), Command::Protocol(Action::Help), "{words:?}");
        }
        // An unknown option is named as such, even one that would take no value.
        let Err(Error::ConfigureUsage { usage }) = hosts(&["--bogus"]) else { panic!("--bogus was taken") };
        assert!(usage.starts_with("unknown option"), "{usage}");
    }
}
