//! The strings of `[[uplink]]` that are checked when read (an error at their line): target
//! names, addresses, MN and PW, factor codes.

use serde::Deserialize;

/// A string checked when read: the type, `TryFrom<String>` by `$check` (the error message
/// when it fails) and `as_str`; `Debug` unless it may hold a secret.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        checked_string!(@type $(#[$doc])* #[derive(Debug)] $name, $check);
    };
    ($(#[$doc:meta])* secret $name:ident, $check:expr) => {
        checked_string!(@type $(#[$doc])* $name, $check);
    };
    (@type $(#[$attr:meta])* $name:ident, $check:expr) => {
        $(#[$attr])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(&s).map(|()| $name(s))
            }
        }

        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

checked_string!(
    /// A target's name: 1–64 ASCII letters, digits, `-` and `_` (it names files).
    TargetName,
    |s| {
        let ok = (1..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then_some(()).ok_or_else(|| {
            format!(
                "uplink name `{s}`: use 1 to 64 ASCII letters, digits, - and _ (it names the \
                 target's files)"
            )
        })
    }
);

checked_string!(
    /// `host:port` of a platform (resolved when connecting).
    Address,
    |s| {
        let ok = s.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        ok.then_some(())
            .ok_or_else(|| format!("address `{s}` is not host:port (e.g. \"10.1.2.3:9100\")"))
    }
);

checked_string!(
    /// An MN or a PW: 1–24 printable ASCII characters other than the packet's separators
    /// (`;`, `,`, `=`, `&`) — what can stand in a header field without breaking the packet.
    /// (The standard's MN is 24 hexadecimal digits; real loggers use shorter ones.)
    secret HeaderValue,
    |s| {
        let ok = (1..=24).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_graphic() && !b";,=&".contains(&b));
        // The value is not repeated: it may be a PW.
        ok.then_some(()).ok_or_else(|| {
            "cannot stand in an HJ 212 header (MN, PW): use 1 to 24 printable ASCII \
             characters without ; , = &"
                .to_string()
        })
    }
);

checked_string!(
    /// A factor code (`a34004`): 1–16 ASCII letters and digits.
    FactorCode,
    |s| {
        let ok = (1..=16).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then_some(()).ok_or_else(|| {
            format!(
                "factor code `{}`: use 1 to 16 ASCII letters and digits (e.g. a34004)",
                s.escape_default()
            )
        })
    }
);

impl std::fmt::Display for TargetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Never prints the value: a PW must not reach a log.
impl std::fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeaderValue({} characters)", self.0.len())
    }
}
