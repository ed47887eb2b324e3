//! The `url` field every component has: scheme (plain or TLS), host and port.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum EndpointError {
    #[error("url `{url}`: the scheme must be one of {expected}")]
    Scheme { url: String, expected: String },
    #[error("url `{0}`: write it as scheme://host:port")]
    Malformed(String),
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

impl Endpoint {
    /// Parses `url` whose scheme must be `plain` or `secure` (TLS); the port defaults to
    /// `default_port` (plain) or `tls_port`.
    pub(crate) fn parse(
        url: &str,
        (plain, secure): (&str, &str),
        (default_port, tls_port): (u16, u16),
    ) -> Result<Self, EndpointError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| EndpointError::Malformed(url.to_string()))?;
        let tls = match scheme {
            s if s == plain => false,
            s if s == secure => true,
            _ => {
                return Err(EndpointError::Scheme {
                    url: url.to_string(),
                    expected: format!("{plain}:// or {secure}:// (TLS)"),
                });
            }
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| EndpointError::Malformed(url.to_string()))?,
            ),
            _ => (authority, if tls { tls_port } else { default_port }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(EndpointError::Malformed(url.to_string()));
        }
        Ok(Self {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MQTT: (&str, &str) = ("mqtt", "mqtts");

    #[test]
    fn parses_host_port_and_tls() {
        let e = Endpoint::parse("mqtt://127.0.0.1:1884", MQTT, (1883, 8883)).unwrap();
        assert_eq!((e.host.as_str(), e.port, e.tls), ("127.0.0.1", 1884, false));
        let e = Endpoint::parse("mqtts://broker.example", MQTT, (1883, 8883)).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.tls),
            ("broker.example", 8883, true)
        );
    }

    #[test]
    fn a_wrong_scheme_names_the_right_ones() {
        let err = Endpoint::parse("http://x:1", MQTT, (1883, 8883)).unwrap_err();
        assert!(err.to_string().contains("mqtts://"), "{err}");
        assert!(Endpoint::parse("mqtt://:1", MQTT, (1, 2)).is_err());
    }
}
