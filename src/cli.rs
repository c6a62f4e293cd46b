//! The commands: the command line parsed once, and one file per command. The face only declares
//! them; `lib.rs` dispatches to them.
//!
//! ```text
//! parse.rs      the command line → Command (protocol action, kubelet, doctor, configure, login); help
//! doctor.rs     checks everything a get depends on, through the same AWS seam
//! login.rs      login HOST…: tokens into the cache now, the MFA prompt where needed
//! export.rs     password HOST; dockerconfig HOST…: config.json auths or a Kubernetes Secret
//! kubelet.rs    the kubelet CredentialProvider exchange and its cache durations
//! docker.rs     the docker-credential-helpers actions (get, store/erase, list), aliases, fallback
//! configure.rs  routes hosts in docker's / containers' files; --creds-store; kubelet config
//! fallback.rs   runs docker-credential-<fallback> for hosts that are not ours, passing it through
//! installs.rs   every docker-credential-ecr-login on PATH, where each points, what each says it is
//! ```

pub(crate) mod configure;
pub(crate) mod docker;
pub(crate) mod doctor;
pub(crate) mod export;
pub(crate) mod kubelet;
pub(crate) mod login;
pub(crate) mod parse;
