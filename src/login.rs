//! `login HOST…`: gets each registry's token into the cache now, asking for an MFA code on the
//! terminal where a profile needs one, and prints each token's expiry. It starts the MFA session
//! that later gets without a terminal use, and warms the cache before a build.

use std::io::Write;

use crate::config::Config;
use crate::ecr::Aws;
use crate::error::{EXIT_FAILURE, Error, quote};
use crate::identity::Identity;
use crate::registry;
use crate::token;
use crate::tokens;
use crate::world::{Streams, World};

/// Runs `login` for `hosts`; 0 when every one has a token, 1 otherwise (each failure on stderr).
pub fn run<A: Aws, I, O: Write, E: Write>(
    hosts: &[String],
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let config = match Config::load(world.env) {
        Ok(config) => config,
        Err(e) => return streams.fail_on_stderr(&e),
    };
    let mut failed = false;
    for host in hosts {
        let alias = config.as_ref().and_then(|c| c.alias_for(host));
        let target = alias.map_or(host.as_str(), |a| a.registry.as_str());
        let Ok(registry) = registry::parse(target) else {
            streams.say(Error::NotEcr { host: host.clone() });
            failed = true;
            continue;
        };
        let rule = config.as_ref().and_then(|c| c.rule_for(&registry));
        let identity = Identity::load_for(world.env, rule, config.as_ref().map(|c| c.path.as_path()));
        let served = tokens::token_for(&registry, &identity, None, world);
        for warning in &served.warnings {
            streams.warn(warning);
        }
        match served.token {
            Ok(token) => {
                let through = alias.map(|a| format!(" (alias of {})", a.registry)).unwrap_or_default();
                let _ = writeln!(
                    streams.stdout,
                    "{}{through}: token valid until {}",
                    quote(host).trim_matches('"'),
                    token::format_utc(token.usable_until())
                );
            }
            Err(e) => {
                streams.say(e);
                failed = true;
            }
        }
    }
    if failed { EXIT_FAILURE } else { 0 }
}
