//! Host name resolution without glibc's NSS, for the statically linked build.
//!
//! A static glibc executable still `dlopen`s the NSS modules that `/etc/nsswitch.conf` names
//! beyond `files` and `dns` (`myhostname`, `resolve`, `mdns4_minimal`, `sss`, …), and those load
//! the host's own `libc.so.6` beside the glibc linked into us: on a host whose glibc is another
//! version, that is undefined behaviour (glibc's linker warns of it for every static use of
//! `getaddrinfo`). With Fedora's `hosts:` line, a static `getaddrinfo` of a name not in
//! `/etc/hosts` opens `libnss_myhostname.so.2`, then `libc.so.6`, then `libnss_mdns4_minimal`
//! and `libnss_resolve`. So the static build resolves names itself, as musl does: `/etc/hosts`
//! first, `localhost` always, then DNS over UDP (TCP when the answer is truncated) to the
//! nameservers of `/etc/resolv.conf`, with its `search`, `ndots`, `timeout` and `attempts`.
//! systemd-resolved, the usual reason for `resolve` in nsswitch.conf, answers on the stub address
//! that `/etc/resolv.conf` names, so split DNS still works. `.local` names (mDNS) do not resolve:
//! no AWS endpoint is one. The dynamic build keeps glibc's `getaddrinfo`, whose modules match it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the system's resolver configuration lives.
#[derive(Debug, Clone)]
pub struct Files {
    /// `/etc/hosts`.
    pub hosts: PathBuf,
    /// `/etc/resolv.conf`.
    pub resolv_conf: PathBuf,
}

impl Files {
    /// The system's own files.
    pub fn system() -> Files {
        Files { hosts: PathBuf::from("/etc/hosts"), resolv_conf: PathBuf::from("/etc/resolv.conf") }
    }
}

/// The DNS port, and the one resolv.conf implies.
const DNS_PORT: u16 = 53;
/// resolv.conf's defaults (resolv.conf(5)): ndots, seconds per try, tries per server.
const DEFAULT_NDOTS: usize = 1;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_ATTEMPTS: u32 = 2;
/// At most this many nameservers are used, as glibc does.
const MAX_NAMESERVERS: usize = 3;
/// The largest UDP answer we read; larger ones come truncated and are asked again over TCP.
const MAX_UDP_ANSWER: usize = 1232;
/// Record types and class.
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
/// Header flags and response codes.
const FLAG_RESPONSE: u16 = 0x8000;
const FLAG_TRUNCATED: u16 = 0x0200;
const FLAG_RECURSION_DESIRED: u16 = 0x0100;
const RCODE_MASK: u16 = 0x000f;
const RCODE_NXDOMAIN: u16 = 3;

/// What `/etc/resolv.conf` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    /// Nameservers, in order, at most three.
    pub nameservers: Vec<SocketAddr>,
    /// Domains tried for a name with fewer than `ndots` dots (and after it, for the others).
    pub search: Vec<String>,
    /// Dots a name needs to be tried as it is first.
    pub ndots: usize,
    /// How long one try waits for an answer.
    pub timeout: Duration,
    /// How many rounds over the nameservers.
    pub attempts: u32,
}

impl ResolvConf {
    /// Parses resolv.conf text; with no nameserver line, the local one, as glibc assumes.
    pub fn parse(text: &str) -> ResolvConf {
        let mut conf = ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: DEFAULT_NDOTS,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
        };
        for line in text.lines() {
            let mut words = line.split(['#', ';']).next().unwrap_or_default().split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    // A scoped IPv6 address (`fe80::1%eth0`) keeps only its address.
                    let address = words.next().map(|a| a.split('%').next().unwrap_or(a));
                    if let Some(ip) = address.and_then(|a| a.parse::<IpAddr>().ok())
                        && conf.nameservers.len() < MAX_NAMESERVERS
                    {
                        conf.nameservers.push(SocketAddr::new(ip, DNS_PORT));
                    }
                }
                // The last of `search` and `domain` wins, as in glibc.
                Some("search" | "domain") => {
                    conf.search = words.map(|d| d.trim_end_matches('.').to_ascii_lowercase()).collect();
                }
                Some("options") => {
                    for option in words {
                        let (name, value) = option.split_once(':').unwrap_or((option, ""));
                        let value = value.parse::<u64>().ok();
                        match (name, value) {
                            ("ndots", Some(n)) => conf.ndots = n.min(15) as usize,
                            ("timeout", Some(n)) => conf.timeout = Duration::from_secs(n.clamp(1, 30)),
                            ("attempts", Some(n)) => conf.attempts = n.clamp(1, 5) as u32,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if conf.nameservers.is_empty() {
            conf.nameservers.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DNS_PORT));
        }
        conf
    }

    /// The names to ask for, in order: as given first when it has `ndots` dots or more.
    pub fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(absolute) = name.strip_suffix('.') {
            return vec![absolute.to_string()];
        }
        let searched = self.search.iter().map(|domain| format!("{name}.{domain}"));
        if name.matches('.').count() >= self.ndots {
            std::iter::once(name.to_string()).chain(searched).collect()
        } else {
            searched.chain(std::iter::once(name.to_string())).collect()
        }
    }
}

/// The addresses `/etc/hosts` gives `name`, in file order.
pub fn hosts_lookup(text: &str, name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('#').next().unwrap_or_default().split_whitespace();
            let address = fields.next()?.split('%').next()?.parse::<IpAddr>().ok()?;
            fields.any(|alias| alias.trim_end_matches('.').eq_ignore_ascii_case(name)).then_some(address)
        })
        .collect()
}

/// Resolves `name` to its addresses: a literal address as it is, then `/etc/hosts`, then
/// `localhost`, then DNS.
pub async fn lookup(name: &str, files: &Files) -> io::Result<Vec<IpAddr>> {
    if let Ok(ip) = name.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let hosts = std::fs::read_to_string(&files.hosts).unwrap_or_default();
    let found = hosts_lookup(&hosts, name);
    if !found.is_empty() {
        return Ok(found);
    }
    let bare = name.trim_end_matches('.').to_ascii_lowercase();
    if bare == "localhost" || bare.ends_with(".localhost") {
        return Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]);
    }
    let conf = ResolvConf::parse(&std::fs::read_to_string(&files.resolv_conf).unwrap_or_default());
    let mut last_error = None;
    for candidate in conf.candidates(name) {
        match query_all(&candidate, &conf).await {
            Ok(addresses) if !addresses.is_empty() => return Ok(addresses),
            Ok(_) => {}
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("no address for {name} in {} or DNS", files.hosts.display()))
    }))
}

/// Asks the nameservers for `name`'s A and AAAA records, round by round. Each type stands on its
/// own, as in glibc: addresses of either are the answer even if the other type failed (some
/// servers refuse AAAA questions). NXDOMAIN, or no addresses of either type, is final; a server
/// that fails or stays silent for both makes way for the next.
async fn query_all(name: &str, conf: &ResolvConf) -> io::Result<Vec<IpAddr>> {
    let mut last_error = io::Error::new(io::ErrorKind::TimedOut, format!("no DNS server answered for {name}"));
    for _ in 0..conf.attempts {
        for server in &conf.nameservers {
            let mut addresses = Vec::new();
            let mut answered = false;
            for record_type in [TYPE_A, TYPE_AAAA] {
                match tokio::time::timeout(conf.timeout, query(name, record_type, *server)).await {
                    Ok(Ok(Answer::Addresses(found))) => {
                        answered = true;
                        addresses.extend(found);
                    }
                    Ok(Ok(Answer::NoSuchName)) => return Ok(Vec::new()),
                    Ok(Err(e)) => last_error = e,
                    Err(_) => {
                        last_error =
                            io::Error::new(io::ErrorKind::TimedOut, format!("{server} did not answer for {name}"));
                    }
                }
            }
            if answered {
                return Ok(addresses);
            }
        }
    }
    Err(last_error)
}

/// What one nameserver said.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// The name exists; these are its addresses of the asked type (maybe none).
    Addresses(Vec<IpAddr>),
    /// NXDOMAIN.
    NoSuchName,
}

/// One question over UDP, asked again over TCP when the answer comes truncated.
async fn query(name: &str, record_type: u16, server: SocketAddr) -> io::Result<Answer> {
    let id = query_id();
    let question = encode_query(id, name, record_type)?;
    let local: SocketAddr =
        if server.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = tokio::net::UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    socket.send(&question).await?;
    let mut buffer = vec![0; MAX_UDP_ANSWER];
    loop {
        let length = socket.recv(&mut buffer).await?;
        match decode_answer(&buffer[..length], id, name, record_type) {
            Ok(Decoded::Truncated) => return query_tcp(&question, id, name, record_type, server).await,
            Ok(Decoded::Answer(answer)) => return Ok(answer),
            Ok(Decoded::Failed(rcode)) => return Err(server_failed(server, rcode, name)),
            // Not the answer to our question (late, stray or forged): keep listening.
            Err(_) => {}
        }
    }
}

async fn query_tcp(question: &[u8], id: u16, name: &str, record_type: u16, server: SocketAddr) -> io::Result<Answer> {
    let mut stream = tokio::net::TcpStream::connect(server).await?;
    let length = u16::try_from(question.len()).map_err(|_| invalid("question too long"))?;
    stream.write_all(&length.to_be_bytes()).await?;
    stream.write_all(question).await?;
    let length = stream.read_u16().await?;
    let mut answer = vec![0; usize::from(length)];
    stream.read_exact(&mut answer).await?;
    match decode_answer(&answer, id, name, record_type)? {
        Decoded::Answer(answer) => Ok(answer),
        Decoded::Truncated => Err(invalid("a truncated answer over TCP")),
        Decoded::Failed(rcode) => Err(server_failed(server, rcode, name)),
    }
}

fn server_failed(server: SocketAddr, rcode: u16, name: &str) -> io::Error {
    io::Error::other(format!("DNS server {server} answered error code {rcode} for {name}"))
}

/// A query id that another process cannot guess from ours: hashed from the clock and the pid.
fn query_id() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    // The low 16 bits of the hash are as unguessable as the rest.
    let [low, high, ..] = hasher.finish().to_le_bytes();
    u16::from_le_bytes([low, high])
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad DNS message: {what}"))
}

/// A standard query for `name` with recursion desired.
fn encode_query(id: u16, name: &str, record_type: u16) -> io::Result<Vec<u8>> {
    let mut message = Vec::with_capacity(18 + name.len());
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&FLAG_RECURSION_DESIRED.to_be_bytes());
    message.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question, no records
    for label in name.trim_end_matches('.').split('.') {
        let length =
            u8::try_from(label.len()).ok().filter(|l| (1..=63).contains(l)).ok_or_else(|| invalid("label length"))?;
        message.push(length);
        message.extend_from_slice(label.as_bytes());
    }
    message.push(0);
    message.extend_from_slice(&record_type.to_be_bytes());
    message.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(message)
}

#[derive(Debug, PartialEq, Eq)]
enum Decoded {
    Answer(Answer),
    Truncated,
    /// The server answered our question with an error code (SERVFAIL, REFUSED, …).
    Failed(u16),
}

/// Reads an answer to the query `id` for `name`: its addresses of `record_type`, NXDOMAIN, another
/// error code, or that it was truncated. Anything that is not an answer to that very question is an error.
fn decode_answer(message: &[u8], id: u16, name: &str, record_type: u16) -> io::Result<Decoded> {
    let u16_at = |at: usize| -> io::Result<u16> {
        message.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(|| invalid("too short"))
    };
    let flags = u16_at(2)?;
    if u16_at(0)? != id || flags & FLAG_RESPONSE == 0 || u16_at(4)? != 1 {
        return Err(invalid("not the answer to our question"));
    }
    if flags & FLAG_TRUNCATED != 0 {
        return Ok(Decoded::Truncated);
    }
    let (asked, mut at) = read_name(message, 12)?;
    if !asked.eq_ignore_ascii_case(name.trim_end_matches('.')) || u16_at(at)? != record_type {
        return Err(invalid("answers another question"));
    }
    at += 4;
    match flags & RCODE_MASK {
        0 => {}
        RCODE_NXDOMAIN => return Ok(Decoded::Answer(Answer::NoSuchName)),
        rcode => return Ok(Decoded::Failed(rcode)),
    }
    let mut addresses = Vec::new();
    for _ in 0..u16_at(6)? {
        let (_, after_name) = read_name(message, at)?;
        let (kind, class, length) =
            (u16_at(after_name)?, u16_at(after_name + 2)?, usize::from(u16_at(after_name + 8)?));
        let data = message.get(after_name + 10..after_name + 10 + length).ok_or_else(|| invalid("record too short"))?;
        at = after_name + 10 + length;
        // The CNAME chain a recursive server follows comes first; the addresses at its end are ours.
        match (kind, class, data.len()) {
            (TYPE_A, CLASS_IN, 4) if record_type == TYPE_A => {
                addresses.push(IpAddr::from(<[u8; 4]>::try_from(data).map_err(|_| invalid("A record"))?));
            }
            (TYPE_AAAA, CLASS_IN, 16) if record_type == TYPE_AAAA => {
                addresses.push(IpAddr::from(<[u8; 16]>::try_from(data).map_err(|_| invalid("AAAA record"))?));
            }
            // CNAME and anything else: the chain's links, not addresses.
            _ => {}
        }
    }
    Ok(Decoded::Answer(Answer::Addresses(addresses)))
}

/// Reads a possibly compressed name at `at`; returns it dotted and the offset after it.
fn read_name(message: &[u8], mut at: usize) -> io::Result<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    // Each pointer must go backwards, so a loop of pointers ends.
    let mut limit = at;
    loop {
        let length = *message.get(at).ok_or_else(|| invalid("name runs past the end"))?;
        match length {
            0 => {
                let end = end.unwrap_or(at + 1);
                return Ok((labels.join("."), end));
            }
            1..=63 => {
                let label = message.get(at + 1..at + 1 + usize::from(length)).ok_or_else(|| invalid("label"))?;
                labels.push(String::from_utf8_lossy(label).into_owned());
                at += 1 + usize::from(length);
            }
            0xc0..=0xff => {
                let low = *message.get(at + 1).ok_or_else(|| invalid("pointer"))?;
                let target = usize::from(length & 0x3f) << 8 | usize::from(low);
                if target >= limit {
                    return Err(invalid("pointer loop"));
                }
                end.get_or_insert(at + 2);
                limit = target;
                at = target;
            }
            _ => return Err(invalid("label type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files a test points the resolver at.
    fn files_in(dir: &std::path::Path, hosts: &str, resolv_conf: &str) -> Files {
        std::fs::write(dir.join("hosts"), hosts).unwrap();
        std::fs::write(dir.join("resolv.conf"), resolv_conf).unwrap();
        Files { hosts: dir.join("hosts"), resolv_conf: dir.join("resolv.conf") }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn hosts_file_lines_match_any_alias_in_any_case_and_skip_comments() {
        let text = "# comment\n127.0.0.1 localhost\n10.1.2.3  ecr.internal  API.ECR.us-east-1.amazonaws.com # x\n\
                    ::1 ip6-localhost\nnot-an-ip api.ecr.us-east-1.amazonaws.com\n#10.9.9.9 api.ecr.us-east-1.amazonaws.com\n\
                    fd00::5 api.ecr.us-east-1.amazonaws.com.\n";
        assert_eq!(
            hosts_lookup(text, "api.ecr.us-east-1.amazonaws.com"),
            ["10.1.2.3".parse::<IpAddr>().unwrap(), "fd00::5".parse().unwrap()]
        );
        assert!(hosts_lookup(text, "ecr").is_empty());
    }

    #[test]
    fn resolv_conf_gives_servers_search_and_options_with_glibcs_defaults() {
        let conf = ResolvConf::parse(
            "# generated\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\nnameserver bogus\nnameserver 10.0.0.2\n\
             nameserver 10.0.0.3\ndomain ignored.example\nsearch corp.example. lab.example\n\
             options edns0 ndots:2 timeout:1 attempts:3 ; trailing\n",
        );
        assert_eq!(
            conf.nameservers,
            [
                "127.0.0.53:53".parse::<SocketAddr>().unwrap(),
                "[fe80::1]:53".parse().unwrap(),
                "10.0.0.2:53".parse().unwrap()
            ]
        );
        assert_eq!(conf.search, ["corp.example", "lab.example"]);
        assert_eq!((conf.ndots, conf.timeout, conf.attempts), (2, Duration::from_secs(1), 3));
        let empty = ResolvConf::parse("");
        assert_eq!(empty.nameservers, ["127.0.0.1:53".parse::<SocketAddr>().unwrap()]);
        assert_eq!((empty.ndots, empty.timeout, empty.attempts), (1, Duration::from_secs(5), 2));
    }

    #[test]
    fn names_are_tried_as_given_first_only_with_enough_dots() {
        let conf = ResolvConf::parse("search corp.example\noptions ndots:2");
        assert_eq!(conf.candidates("proxy"), ["proxy.corp.example", "proxy"]);
        assert_eq!(conf.candidates("a.b.c"), ["a.b.c", "a.b.c.corp.example"]);
        assert_eq!(conf.candidates("absolute.name."), ["absolute.name"]);
    }

    #[test]
    fn a_query_is_encoded_as_the_wire_format_says() {
        let query = encode_query(0x1234, "api.ecr.aws", TYPE_AAAA).unwrap();
        assert_eq!(
            query,
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03api\x03ecr\x03aws\x00\x00\x1c\x00\x01".to_vec()
        );
        assert!(encode_query(1, "a..b", TYPE_A).is_err());
        assert!(encode_query(1, &"x".repeat(64), TYPE_A).is_err());
    }

    /// An answer for `api.ecr.aws` A: a CNAME to `x.aws` (compressed) and two A records.
    fn cname_answer(id: u16) -> Vec<u8> {
        let mut m = encode_query(id, "api.ecr.aws", TYPE_A).unwrap();
        m[2] = 0x81;
        m[3] = 0x80;
        m[7] = 3; // three answers
        // api.ecr.aws CNAME x.aws: the name is a pointer to the question (offset 12).
        m.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x04\x01x\xc0\x14");
        // x.aws A 192.0.2.1 and A 192.0.2.2: the name points at the CNAME's "x.aws" (offset 41).
        for last in [1u8, 2] {
            m.extend_from_slice(b"\xc0\x29\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02");
            m.push(last);
        }
        m
    }

    #[test]
    fn an_answer_follows_the_cname_chain_to_its_addresses() {
        let answer = decode_answer(&cname_answer(7), 7, "api.ecr.aws", TYPE_A).unwrap();
        assert_eq!(
            answer,
            Decoded::Answer(Answer::Addresses(vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()]))
        );
    }

    #[test]
    fn answers_to_other_questions_truncation_and_nxdomain_are_told_apart() {
        let good = cname_answer(7);
        assert!(decode_answer(&good, 8, "api.ecr.aws", TYPE_A).is_err(), "another id");
        assert!(decode_answer(&good, 7, "evil.aws", TYPE_A).is_err(), "another name");
        assert!(decode_answer(&good, 7, "api.ecr.aws", TYPE_AAAA).is_err(), "another type");
        assert!(decode_answer(&good[..good.len() - 3], 7, "api.ecr.aws", TYPE_A).is_err(), "cut short");
        let mut truncated = good.clone();
        truncated[2] |= 0x02;
        assert_eq!(decode_answer(&truncated, 7, "api.ecr.aws", TYPE_A).unwrap(), Decoded::Truncated);
        let mut nxdomain = encode_query(7, "api.ecr.aws", TYPE_A).unwrap();
        nxdomain[2] = 0x81;
        nxdomain[3] = 0x83;
        assert_eq!(decode_answer(&nxdomain, 7, "api.ecr.aws", TYPE_A).unwrap(), Decoded::Answer(Answer::NoSuchName));
        let mut refused = nxdomain.clone();
        refused[3] = 0x85;
        assert_eq!(decode_answer(&refused, 7, "api.ecr.aws", TYPE_A).unwrap(), Decoded::Failed(5));
        let mut looping = good.clone();
        looping[30] = 0x1d; // the CNAME record's owner name points at itself (offset 29)
        assert!(decode_answer(&looping, 7, "api.ecr.aws", TYPE_A).is_err());
    }

    #[test]
    fn hosts_file_literal_addresses_and_localhost_need_no_dns() {
        let dir = tempfile::tempdir().unwrap();
        // A nameserver that would never answer: the lookups below must not reach it.
        let files = files_in(
            dir.path(),
            "127.0.0.9 only-in-hosts.test\n",
            "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        );
        let rt = runtime();
        assert_eq!(
            rt.block_on(lookup("only-in-hosts.test", &files)).unwrap(),
            ["127.0.0.9".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(rt.block_on(lookup("127.0.0.5", &files)).unwrap(), ["127.0.0.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(rt.block_on(lookup("[::1]", &files)).unwrap(), ["::1".parse::<IpAddr>().unwrap()]);
        assert!(rt.block_on(lookup("localhost", &files)).unwrap().contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }

    #[test]
    fn a_silent_nameserver_fails_within_its_timeout() {
        // A bound UDP socket that never answers, on loopback.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let conf = ResolvConf {
            nameservers: vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))],
            search: Vec::new(),
            ndots: 1,
            timeout: Duration::from_millis(200),
            attempts: 2,
        };
        let start = std::time::Instant::now();
        let result = runtime().block_on(query_all("api.ecr.us-east-1.amazonaws.com", &conf));
        assert!(result.is_err());
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    }
}
