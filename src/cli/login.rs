//! `login HOST…`: gets each registry's token into the cache now, asking for an MFA code on the
//! terminal where a profile needs one, and prints each token's expiry. It starts the MFA session
//! that later gets without a terminal use, and warms the cache before a build.

use std::io::Write;

use crate::aws::Aws;
use crate::clock;
use crate::config::{self, Config};
use crate::error::{EXIT_FAILURE, Error};
use crate::lookup;
use crate::printable::quote;
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
        let Ok(registry) = config::registry_for(config.as_ref(), host) else {
            streams.say(Error::NotEcr { host: host.clone() });
            failed = true;
            continue;
        };
        match lookup::token_for_registry(config.as_ref(), host, &registry, streams, world) {
            Ok(token) => {
                let alias = config.as_ref().and_then(|c| c.alias_for(host));
                let through = alias.map(|a| format!(" (alias of {})", a.registry)).unwrap_or_default();
                let _ = writeln!(
                    streams.stdout,
                    "{}{through}: token valid until {}",
                    quote(host).trim_matches('"'),
                    clock::format_utc(token.usable_until())
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
