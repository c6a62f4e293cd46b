//! A named host's token, once its registry is known: the first rule that selects the registry
//! gives the identity, and the token path serves it; and the trace of the configuration file and
//! of how the host became the registry (an alias, a rule). What `get`, `login`, `password`,
//! `dockerconfig` and the kubelet provider share.

use std::io::Write;

use crate::auth_token::AuthToken;
use crate::aws::Aws;
use crate::config::{self, Config};
use crate::error::Error;
use crate::identity::Identity;
use crate::printable::quote;
use crate::registry::Registry;
use crate::serve;
use crate::world::{Streams, World};

/// The token for `registry`, which `server` named (itself, or an alias of it), through the token
/// path as the caller's own identity or the rule's that selects it; the path's warnings go to
/// stderr. What `get`, `login`, `password` and `dockerconfig` share.
pub fn token_for_registry<A: Aws, I, O, E: Write>(
    config: Option<&Config>,
    server: &str,
    registry: &Registry,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Result<AuthToken, Error> {
    trace_registry(world, config, server, registry);
    let identity = Identity::for_registry(world.env, config, registry);
    let served = serve::token_for(registry, &identity, None, world);
    for warning in &served.warnings {
        streams.warn(warning);
    }
    served.token
}

/// The trace of how `server` became `registry`: through an alias or not, and the rule that
/// selects it.
pub fn trace_registry<A>(world: &World<'_, A>, config: Option<&Config>, server: &str, registry: &Registry) {
    world.trace.note(|| match config.and_then(|c| c.alias_for(server)) {
        Some(alias) => format!("registry: {} is an alias of {}", quote(server), alias.registry),
        None => format!("registry: {}", registry.host()),
    });
    world.trace.note(|| match config.and_then(|c| Some((c.rule_for(registry)?, c))) {
        Some((rule, config)) => format!("rule: {}", rule.describe(&config.path)),
        None => "rule: none (the caller's own identity)".into(),
    });
}

/// The trace of the configuration file: where it is, and what it holds.
pub fn trace_config<A>(world: &World<'_, A>, config: Option<&Config>) {
    world.trace.note(|| match config {
        Some(c) => format!("config: {} ({} rule(s), {} alias(es))", c.path.display(), c.rule_count(), c.aliases.len()),
        None => match config::location(world.env) {
            Some(location) => format!("config: none at {}", location.path.display()),
            None => format!("config: none (no {})", crate::env::HOME_VARIABLE),
        },
    });
}
