//! The commands: the command line parsed once (`parse.rs`), and one file per command, none of
//! which imports another.

pub(crate) mod configure;
pub(crate) mod docker;
pub(crate) mod doctor;
pub(crate) mod export;
pub(crate) mod kubelet;
pub(crate) mod login;
pub(crate) mod parse;
